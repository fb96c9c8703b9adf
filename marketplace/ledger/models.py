"""The double-entry ledger: accounts, and journal entries whose lines sum to zero, only ever added to.

A line's amount is signed: positive is a debit, negative a credit. An entry's lines sum to zero. A
balance is the sum of an account's lines, read in the account's natural sign: money the platform holds
(and what a shop owes it) grows with debits; what the platform owes (to shops, to buyers) and what it
earns grows with credits.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import InvalidState
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from . import triggers

# kind -> sign of the natural balance (+1: debit-normal, -1: credit-normal)
ACCOUNT_KINDS = {
    "held": 1,                  # money in one of the platform's receiving accounts (Stripe, a bank, QRIS)
    "shop_commission_owed": 1,  # commission a shop owes on cash sales it collected itself
    "shop_pending": -1,         # a shop's earnings still in their hold period
    "shop_available": -1,       # a shop's earnings that may be paid out
    "refunds_owed": -1,         # money to give back to buyers
    "in_transit": -1,           # payouts in a batch sent to the bank, not yet confirmed paid
    "income_commission": -1,    # the platform's commission
    "income_unique_code": -1,   # the unique codes buyers add to transfers
}
SHOP_KINDS = ("shop_pending", "shop_available", "shop_commission_owed")


class LedgerAccount(db.Model):
    """One account of the ledger; a shop has its own pending, available and commission-owed accounts."""

    __tablename__ = "ledger_account"
    __table_args__ = (
        CheckConstraint("kind IN ('" + "', '".join(ACCOUNT_KINDS) + "')", name="kind_known"),
        CheckConstraint("(shop_id IS NOT NULL) = (kind IN ('" + "', '".join(SHOP_KINDS) + "'))",
                        name="shop_accounts_have_a_shop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id"), index=True, default=None)
    # Bumped by a conditional UPDATE whenever a payout takes this account's balance: of two batches
    # reading the same balance at once, only one can move it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def sign(self):
        """+1 when debits raise the balance, -1 when credits do."""
        return ACCOUNT_KINDS[self.kind]


class JournalEntry(db.Model):
    """One money movement: what caused it (kind and reference, recorded once) and when."""

    __tablename__ = "journal_entry"
    __table_args__ = (UniqueConstraint("kind", "reference", name="one_entry_per_cause"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(120))
    memo: Mapped[str] = mapped_column(String(300), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True, default=None)
    shop_order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"), index=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    lines = relationship("JournalLine", back_populates="entry", order_by="JournalLine.id")


class JournalLine(db.Model):
    """One side of an entry: a signed amount on one account (debit positive, credit negative)."""

    __tablename__ = "journal_line"
    __table_args__ = (CheckConstraint("amount_idr <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount_idr: Mapped[int] = mapped_column(BigInteger)

    entry = relationship("JournalEntry", back_populates="lines")
    account = relationship("LedgerAccount")


@event.listens_for(JournalEntry, "before_update")
@event.listens_for(JournalEntry, "before_delete")
@event.listens_for(JournalLine, "before_update")
@event.listens_for(JournalLine, "before_delete")
def _entries_are_history(mapper, connection, row):
    """The journal is only ever added to: a correction is a new entry, never an edit."""
    raise InvalidState(_("Jurnal keuangan tidak dapat diubah atau dihapus."))


for _table in (JournalEntry.__table__, JournalLine.__table__):
    triggers.install(_table)
