"""Shared setup of the transfer, switching and refund tests: receiving accounts and methods switched on, orders
with an open transfer, and the outbox's messages."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.payments import transfer
from marketplace.payments.models import ReceivingAccount

ACCOUNT_NUMBER = "0123 4567 8901"


def methods_on():
    """A receiving account, and bank transfer and QRIS (with a published static payload) offered beside cards."""
    from tests.payments.test_qris import PUBLISHED

    account = ReceivingAccount(bank="BRI", account_number=ACCOUNT_NUMBER, holder_name="PT Pasar Desa")
    db.session.add(account)
    transfer.set_method_enabled("bank_transfer", True)
    transfer.set_method_enabled("qris", True)
    transfer.set_qris_payload(PUBLISHED[0][0])
    db.session.commit()
    return account


def messages(kind, recipient=None):
    """The outbox's messages of this kind (to this user), oldest first."""
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if recipient is not None:
        query = query.where(Notification.recipient_id == recipient.id)
    return db.session.scalars(query).all()
