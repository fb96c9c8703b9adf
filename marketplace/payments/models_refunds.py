"""What a bank transfer or QRIS buyer is owed back: the account they want it on, and each transfer an admin made
back (one per cause, so two clicks at once record it once)."""
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..ledger.banks import bank_name
from ..models_base import UTCDateTime, utcnow


class RefundAccount(db.Model):
    """The bank account a buyer gave on an order's page for the money owed back on that order."""

    __tablename__ = "refund_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), unique=True)
    bank_code: Mapped[str] = mapped_column(String(10))
    account_number: Mapped[str] = mapped_column(String(30))
    holder_name: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def bank_name(self):
        """The bank's name."""
        return bank_name(self.bank_code)


class BuyerRefund(db.Model):
    """A transfer made back to a buyer for one cause ('payment-<id>': money that could not be kept;
    'shop-order-<id>': a paid shop part cancelled), with the account it went to as it was then."""

    __tablename__ = "buyer_refund"
    __table_args__ = (CheckConstraint("amount_idr > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cause: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    held: Mapped[str] = mapped_column(String(80))
    bank_code: Mapped[str] = mapped_column(String(10))
    account_number: Mapped[str] = mapped_column(String(30))
    holder_name: Mapped[str] = mapped_column(String(120))
    bank_reference: Mapped[str] = mapped_column(String(100))
    transferred_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order = relationship("Order")

    @property
    def bank_name(self):
        """The bank's name."""
        return bank_name(self.bank_code)
