"""Sending the outbox, at most once per row: after a commit that wrote notifications, and from cron.

Each row is claimed with a conditional UPDATE (claimed_at IS NULL AND sent_at IS NULL) committed on a session
of its own before the message leaves, so two senders never send one row twice and the caller's session is
never touched. Success sets sent_at; a failure clears the claim and counts the attempt, so a later run retries.
A row claimed and never finished (the process died mid-send) is not retried: the message may have gone out.
`flask notifications send` reports such rows.
"""
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

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


@contextmanager
def sender_session(bind):
    """A short session of its own on `bind` (inside the caller's outer transaction when `bind` is a connection,
    as in the tests), committed at the end; never sends anything after its own commit."""
    options = {"join_transaction_mode": "create_savepoint"} if isinstance(bind, Connection) else {}
    session = Session(bind=bind, info={SENDER_SESSION: True}, **options)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


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
    with sender_session(bind) as session:
        claimed = session.execute(update(Notification).where(Notification.id == row_id, *_unclaimed())
                                  .values(claimed_at=utcnow()), execution_options=_NO_SYNC).rowcount
        if claimed != 1:
            return None
        row = session.get(Notification, row_id)
        return mail.Letter(row.id, row.to_email, row.subject, row.body)


def finish(bind, row_id, error=None):
    """Mark a claimed row sent, or (after an error) give the claim back with the attempt counted."""
    if error is None:
        values = {"sent_at": utcnow()}
    else:
        values = {"claimed_at": None, "attempts": Notification.attempts + 1, "last_error": error[:500]}
    with sender_session(bind) as session:
        session.execute(update(Notification).where(Notification.id == row_id).values(**values),
                        execution_options=_NO_SYNC)


def send_rows(config, bind, row_ids):
    """Claim, send and mark each row; stops at the first failure that is not the message's own fault
    (a server that is down would make every further message wait for its timeout)."""
    outcome = Outcome()
    with mail.mailer(config) as send:
        for row_id in row_ids:
            letter = claim(bind, row_id)
            if letter is None:
                outcome.taken += 1
                continue
            try:
                send(letter)
            except Exception as error:  # noqa: BLE001 - whatever failed, the claim must be given back
                outcome.failed += 1
                finish(bind, row_id, f"{type(error).__name__}: {error}")
                log.warning("notification %s not sent: %s", row_id, error)
                if isinstance(error, mail.MessageRefused):
                    continue
                break
            finish(bind, row_id)
            outcome.sent += 1
    return outcome


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
    if session.info.pop(PENDING, False):
        session.info[COMMITTED] = True


def send_after_commit(session, transaction):
    """after_transaction_end: send what the committed transaction wrote (and other never-tried rows, bounded);
    never raises. It runs after the connection went back to the pool, so sending needs no second one (with
    every pooled connection held by a busy checkout, waiting for another would stall them all)."""
    if transaction.parent is not None or not session.info.pop(COMMITTED, False) or not has_app_context():
        return
    try:
        bind = session.get_bind(Notification)
        # Only never-tried rows: rows that failed before are cron's, so a request never waits on a backlog.
        send_rows(current_app.config, bind, due_ids(bind, AFTER_COMMIT_LIMIT, untried_only=True))
    except Exception:  # noqa: BLE001 - the change is committed; `flask notifications send` catches up
        log.exception("notifications: sending after commit failed; due rows wait for the next run")


def install():
    """Listen to every SQLAlchemy session (idempotent)."""
    for name, listener in (("after_soft_rollback", forget), ("after_commit", mark_committed),
                           ("after_transaction_end", send_after_commit)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
