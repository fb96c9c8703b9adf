"""Reading what was sent: outbox rows, the .eml files in MAIL_OUTBOX_DIR, and what a local SMTP server got."""
import email
import os
import socket
import threading
from email import policy

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications.models import Notification


def rows(order=None, kind=None):
    """Outbox rows as the database has them now (of one order's dedupe keys, of one kind)."""
    query = select(Notification).order_by(Notification.id).execution_options(populate_existing=True)
    if order is not None:
        query = query.where(Notification.dedupe_key.like(f"%:{order.id}:%"))
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def eml_files(app):
    """Every finished file in MAIL_OUTBOX_DIR, parsed: [(file name, EmailMessage)]."""
    directory = app.config["MAIL_OUTBOX_DIR"]
    if not os.path.isdir(directory):
        return []
    found = []
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as handle:
            found.append((name, email.message_from_bytes(handle.read(), policy=policy.default)))
    return found


def subjects(app):
    """The Subject of every .eml written."""
    return [message["Subject"] for _name, message in eml_files(app)]


class Received:
    """What a local SMTP server was given: (envelope sender, envelope recipients, raw message) per message."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        """Keep the message; answer as a real server does."""
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port():
    """A TCP port nothing listens on (bound, then closed at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
