"""Where a shop's money goes (its bank account, checked by an admin) and the payouts that take it there."""
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from .banks import bank_name

BANK_ACCOUNT_STATUSES = ("unverified", "verified", "rejected", "replaced")
PAYOUT_STATES = ("sent", "paid", "failed")


class ShopBankAccount(db.Model):
    """A shop's bank account for payouts. A change is a new row (the old one is 'replaced'), so the
    history of where money went stays; only a verified current account receives payouts."""

    __tablename__ = "shop_bank_account"
    __table_args__ = (
        CheckConstraint("status IN ('" + "', '".join(BANK_ACCOUNT_STATUSES) + "')", name="status_known"),
        # One current (not replaced) account per shop, whatever two requests do at once.
        Index("uq_shop_bank_account_current", "shop_id", unique=True,
              sqlite_where=text("status <> 'replaced'"), postgresql_where=text("status <> 'replaced'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    bank_code: Mapped[str] = mapped_column(String(3))
    account_number: Mapped[str] = mapped_column(String(20))
    holder_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default="unverified")
    review_note: Mapped[str] = mapped_column(String(300), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    payouts_from: Mapped[datetime] = mapped_column(UTCDateTime)   # no payout before (48 h after a change)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shop = relationship("Shop")

    @property
    def bank_name(self):
        """The bank's name."""
        return bank_name(self.bank_code)

    @property
    def masked_number(self):
        """The number as shown in emails and lists: only its last four digits."""
        return "•" * max(len(self.account_number) - 4, 0) + self.account_number[-4:]


class PayoutBatch(db.Model):
    """The payouts an admin sends to the bank together; amounts are fixed when it is created."""

    __tablename__ = "payout_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    source: Mapped[str] = mapped_column(String(80))       # the held account the transfers leave from
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payouts = relationship("Payout", back_populates="batch", order_by="Payout.id")
    created_by = relationship("User")

    @property
    def total_idr(self):
        """What the batch sends in all."""
        return sum(payout.amount_idr for payout in self.payouts)


class Payout(db.Model):
    """One shop's money sent in a batch: sent, then paid (with the bank's reference) or failed."""

    __tablename__ = "payout"
    __table_args__ = (
        CheckConstraint("amount_idr > 0", name="amount_positive"),
        CheckConstraint("state IN ('" + "', '".join(PAYOUT_STATES) + "')", name="state_known"),
        UniqueConstraint("batch_id", "shop_id", name="one_payout_per_shop_per_batch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batch.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("shop_bank_account.id"))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), default="sent", index=True)
    bank_reference: Mapped[str] = mapped_column(String(60), default="")
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    batch = relationship("PayoutBatch", back_populates="payouts")
    shop = relationship("Shop")
    bank_account = relationship("ShopBankAccount")

    @property
    def reference(self):
        """The reference written on the transfer, for the shop's statement and the bank's."""
        return f"PD-PAYOUT-{self.id:06d}"
