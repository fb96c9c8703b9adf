"""Sending the outbox, at most once per row: after a commit that wrote notifications, and from cron.

Each row is claimed with a conditional UPDATE (claimed_at IS NULL AND sent_at IS NULL) committed on a session
of its own before the message leaves, so two senders never send one row twice and the caller's session is
never touched. Success sets sent_at; a failure clears the claim and counts the attempt, so a later run retries.
A row claimed and never finished (the process died mid-send) is not retried: the message may have gone out.
`flask notifications send` reports such rows.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from ..database import side_session
from ..models_base import utcnow
from . import mail
from .models import Notification
from .service import PENDING

log = logging.getLogger(__name__)

SENDER_SESSION = "pasardesa_notifications_sender"  # session.info key of the sender's own sessions
COMMITTED = "pasardesa_notifications_committed"  # session.info key: committed rows wait for the connection to go back
AFTER_COMMIT_LIMIT = 10     # a request sends at most this many; the rest wait for cron
MAX_ATTEMPTS = 10           # a row that failed this often waits for a person (the CLI counts it)
STUCK_AFTER = timedelta(minutes=15)  # far past any SMTP timeout: a claim this old will never finish
_NO_SYNC = {"synchronize_session": False}


@dataclass
class Outcome:
    """What one run did."""

    sent: int = 0
    failed: int = 0
    taken: int = 0      # claimed by another sender first


def sender_session(bind):
    """A short session of its own on `bind`, committed at the end; never sends anything after its own commit."""
    return side_session(bind, {SENDER_SESSION: True})


def _unclaimed():
    return (Notification.sent_at.is_(None), Notification.claimed_at.is_(None))


def due_ids(bind, limit, untried_only=False):
    """Ids of rows nobody has sent or claimed, oldest first; only never-tried rows when untried_only."""
    query = select(Notification.id).where(*_unclaimed(), Notification.attempts < MAX_ATTEMPTS)
    if untried_only:
        query = query.where(Notification.attempts == 0)
    with sender_session(bind) as session:
        return list(session.scalars(query.order_by(Notification.id).limit(limit)))


def claim(bind, row_id):
    """Claim one row for this sender (committed before anything is sent); its Letter, or None if taken."""
    letters = claim_batch(bind, [row_id])
    return letters[0] if letters else None


def claim_batch(bind, row_ids):
    """Claim the rows nobody else has, in one committed transaction before anything is sent; their Letters."""
    with sender_session(bind) as session:
        claimed = session.execute(
            update(Notification).where(Notification.id.in_(row_ids), *_unclaimed()).values(claimed_at=utcnow())
            .returning(Notification.id, Notification.to_email, Notification.subject, Notification.body),
            execution_options=_NO_SYNC).all()
    return sorted((mail.Letter(*row) for row in claimed), key=lambda letter: letter.id)


def finish(bind, row_id, error=None):
    """Mark a claimed row sent, or (after an error) give the claim back with the attempt counted."""
    finish_batch(bind, [row_id] if error is None else [], {row_id: error} if error is not None else {})


def finish_batch(bind, sent_ids, errors):
    """In one transaction: mark the sent rows sent, and give the failed ones their claim back, attempt counted."""
    with sender_session(bind) as session:
        if sent_ids:
            session.execute(update(Notification).where(Notification.id.in_(sent_ids)).values(sent_at=utcnow()),
                            execution_options=_NO_SYNC)
        for row_id, error in errors.items():
            session.execute(update(Notification).where(Notification.id == row_id).values(
                claimed_at=None, attempts=Notification.attempts + 1, last_error=error[:500]),
                execution_options=_NO_SYNC)


def send_rows(config, bind, row_ids):
    """Claim the rows, send each, then record the results; stops at the first failure that is not the message's
    own fault (a server that is down would make every further message wait for its timeout), giving the claims
    of the unsent rest back untouched. Two write transactions per batch, however many rows."""
    outcome = Outcome()
    letters = claim_batch(bind, row_ids) if row_ids else []
    outcome.taken = len(set(row_ids)) - len(letters)
    sent, errors, stopped = [], {}, False
    try:
        with mail.mailer(config) as send:
            for letter in letters:
                if stopped:
                    break
                try:
                    send(letter)
                    sent.append(letter.id)
                    log.info("notification %s sent", letter.id)
                except Exception as error:  # noqa: BLE001 - whatever failed, the claim must be given back
                    errors[letter.id] = f"{type(error).__name__}: {error}"
                    log.warning("notification %s not sent: %s", letter.id, error)
                    stopped = not isinstance(error, mail.MessageRefused)
    finally:
        untried = [letter.id for letter in letters if letter.id not in sent and letter.id not in errors]
        finish_batch(bind, sent, errors)
        _release(bind, untried)
    outcome.sent, outcome.failed = len(sent), len(errors)
    return outcome


def _release(bind, row_ids):
    """Give back claims on rows this run never tried (it stopped early), without counting an attempt."""
    if row_ids:
        with sender_session(bind) as session:
            session.execute(update(Notification).where(Notification.id.in_(row_ids)).values(claimed_at=None),
                            execution_options=_NO_SYNC)


def send_due(config, bind, limit):
    """Send up to `limit` due rows (never sent, not claimed, not given up); returns the Outcome."""
    return send_rows(config, bind, due_ids(bind, limit))


def stuck_ids(bind, now=None, limit=50):
    """Rows claimed long ago and never marked sent: whether they went out must be checked by hand."""
    before = (now or utcnow()) - STUCK_AFTER
    with sender_session(bind) as session:
        return list(session.scalars(select(Notification.id).where(
            Notification.sent_at.is_(None), Notification.claimed_at < before).order_by(Notification.id).limit(limit)))


def given_up_count(bind):
    """Rows that failed MAX_ATTEMPTS times and are no longer tried."""
    with sender_session(bind) as session:
        return session.scalar(select(func.count()).select_from(Notification).where(
            *_unclaimed(), Notification.attempts >= MAX_ATTEMPTS))


def forget(session, previous_transaction):
    """after_soft_rollback: the transaction's rows are gone; a savepoint's rollback leaves the rest pending."""
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(COMMITTED, None)


def mark_committed(session):
    """after_commit: the transaction's rows are committed; they are sent once it has let go of its connection."""
    # A savepoint's commit fires this too (the service writes each row in one): its rows are not committed yet.
    if session.in_nested_transaction() or session.info.get(SENDER_SESSION):
        return
    written = session.info.pop(PENDING, None)
    if written:
        session.info[COMMITTED] = written


def send_after_commit(session, transaction):
    """after_transaction_end: send what the committed transaction wrote (at most AFTER_COMMIT_LIMIT rows; cron
    sends the rest and retries failures); never raises. It runs after the connection went back to the pool, so
    sending needs no second one (with every pooled connection held by a busy checkout, waiting for another
    would stall them all)."""
    if transaction.parent is not None or not has_app_context():
        return
    written = session.info.pop(COMMITTED, None)
    if not written or not current_app.config.get("NOTIFICATIONS_SEND_ON_COMMIT", True):
        return
    try:
        send_rows(current_app.config, session.get_bind(Notification), written[:AFTER_COMMIT_LIMIT])
    except Exception:  # noqa: BLE001 - the change is committed; `flask notifications send` catches up
        log.exception("notifications: sending after commit failed; due rows wait for the next run")


def install():
    """Listen to every SQLAlchemy session (idempotent)."""
    for name, listener in (("after_soft_rollback", forget), ("after_commit", mark_committed),
                           ("after_transaction_end", send_after_commit)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
