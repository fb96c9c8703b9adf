"""Delivering one email: by SMTP when MAIL_SERVER is set, otherwise as an .eml file in MAIL_OUTBOX_DIR.

A batch opens one SMTP connection (lazily, on its first message) and closes it at the end; a message that
fails leaves the connection closed, so the next one starts from a clean session.
"""
import os
import smtplib
import ssl
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from ..models_base import utcnow


@dataclass(frozen=True)
class Letter:
    """What an outbox row says: enough to build the message without the database."""

    id: int
    to_email: str
    subject: str
    body: str


class MessageRefused(Exception):
    """This message cannot be sent (bad address, refused recipient); other messages still can."""


def recipient(to_email):
    """The one address a message goes to, refused when it carries anything more (a second address, a header)."""
    try:
        address = Address(addr_spec=to_email)
    except (ValueError, IndexError) as error:  # the parser raises both on malformed input
        raise MessageRefused(f"invalid recipient address: {error}") from None
    if not address.username or not address.domain or address.addr_spec != to_email:
        raise MessageRefused(f"invalid recipient address {to_email!r}")
    return address.addr_spec


def one_line(text):
    """A header value on one line: rendered text with a stray line break must not start a new header."""
    return " ".join(str(text).split())


def build_message(letter, config):
    """The RFC 5322 message of a letter: UTF-8 plain text, From MAIL_FROM, Date and Message-ID set."""
    sender_domain = parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2] or "pasardesa.invalid"
    message = EmailMessage()
    message["From"] = one_line(config["MAIL_FROM"])
    message["To"] = recipient(letter.to_email)
    message["Subject"] = one_line(letter.subject)
    message["Date"] = format_datetime(utcnow())
    # An explicit domain: the default looks up this host's name, which can take seconds.
    message["Message-ID"] = make_msgid(domain=sender_domain)
    message.set_content(letter.body, charset="utf-8")
    return message


def write_eml(message, directory):
    """Write the message under a name of its own (never overwriting); the file appears whole or not at all."""
    os.makedirs(directory, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    name = os.path.join(directory, f"{stamp}-{uuid.uuid4().hex}.eml")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".writing-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(message.as_bytes(policy=policy.SMTP))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, name)
    except BaseException:
        os.unlink(temporary)
        raise
    return name


class SmtpBatch:
    """One SMTP connection for a batch of messages, opened on the first one."""

    def __init__(self, config):
        self.config = config
        self.connection = None

    def _connect(self):
        config = self.config
        connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"])
        try:
            if config["MAIL_USE_TLS"]:
                connection.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, message):
        """Send one message to its one To address."""
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message, to_addrs=[message["To"]])
        except smtplib.SMTPRecipientsRefused as error:
            self.close()
            raise MessageRefused(f"recipient refused: {error.recipients}") from None
        except BaseException:
            self.close()
            raise

    def close(self):
        """Say goodbye to the server, or just drop the connection when it is gone."""
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


@contextmanager
def mailer(config):
    """send(letter) for one batch, by SMTP when MAIL_SERVER is set, else as .eml files in MAIL_OUTBOX_DIR."""
    if not config["MAIL_SERVER"]:
        yield lambda letter: write_eml(build_message(letter, config), config["MAIL_OUTBOX_DIR"])
        return
    batch = SmtpBatch(config)
    try:
        yield lambda letter: batch.send(build_message(letter, config))
    finally:
        batch.close()
