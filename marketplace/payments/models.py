"""Payment attempts of every method, Stripe events already handled, the refunds the marketplace owes or has
made, and the local stand-in's own tables (what its pretend Stripe knows: Checkout Sessions and refunds)."""
import json
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PAYMENT_METHODS = ("stripe", "bank_transfer", "qris", "cash_on_pickup")
PAYMENT_STATES = ("pending", "paid", "expired", "failed", "refund_owed", "refunded")
# A closed attempt: money arriving for it later is owed back (unless it can still settle its order).
CLOSED_STATES = ("expired", "failed")
MAX_UNIQUE_CODE = 999
# Methods whose money is recognised on the bank statement by its exact amount.
TRANSFER_METHODS = ("bank_transfer", "qris")
STATEMENT_OUTCOMES = ("settled", "refund_owed", "unmatched")
_PENDING = text("state = 'pending'")
_OPEN_TRANSFER = text("state = 'pending' AND method IN ('bank_transfer', 'qris')")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Payment(db.Model):
    """One attempt to pay an order, by one method, for one amount; an order has at most one open attempt.

    amount_idr is what the buyer is asked: the order's total plus unique_code_idr, which the buyer pays and the
    platform keeps (the ledger accounts for it)."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method_known"),
        CheckConstraint(_in("state", PAYMENT_STATES), name="state_known"),
        CheckConstraint(f"amount_idr >= 0 AND unique_code_idr BETWEEN 0 AND {MAX_UNIQUE_CODE}",
                        name="amounts_in_range"),
        # Switching method closes the old attempt first: two open attempts could both be paid.
        Index("uq_payment_open_order", "order_id", unique=True, sqlite_where=_PENDING,
              postgresql_where=_PENDING),
        # A statement credit names its payment by amount alone: no two open transfers may ask the same amount.
        Index("uq_payment_open_transfer_amount", "amount_idr", unique=True, sqlite_where=_OPEN_TRANSFER,
              postgresql_where=_OPEN_TRANSFER),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    unique_code_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    received_idr: Mapped[int | None] = mapped_column(BigInteger, default=None)
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    checkout_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    bank_reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    order = relationship("Order")

    @property
    def is_open(self):
        """True while this attempt waits for the buyer's money."""
        return self.state == "pending"


class PaymentMethodSetting(db.Model):
    """Whether the platform offers a payment method at checkout (an admin's switch; no row: the default)."""

    __tablename__ = "payment_method_setting"
    __table_args__ = (CheckConstraint(_in("method", PAYMENT_METHODS), name="method_known"),)

    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # QRIS only: the platform's static payload (the text inside its printed QR), checked when an admin saves it.
    payload: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReceivingAccount(db.Model):
    """One of the platform's bank accounts that buyers transfer to."""

    __tablename__ = "receiving_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(60))
    account_number: Mapped[str] = mapped_column(String(30))
    holder_name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatementLine(db.Model):
    """One incoming credit of a receiving account's statement, recorded once (its fingerprint is unique), with
    what it did: settled a payment, found a closed one (owed back), or waits for an admin."""

    __tablename__ = "statement_line"
    __table_args__ = (
        CheckConstraint("amount_idr > 0", name="amount_positive"),
        CheckConstraint(_in("outcome", STATEMENT_OUTCOMES), name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("receiving_account.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    booked_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(300), default="")
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True, default=None)
    outcome: Mapped[str] = mapped_column(String(20), default="unmatched", index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an admin matched the line to a payment by hand (an unmatched line, matched once).
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PaymentEvent(db.Model):
    """A Stripe event id, recorded before acting on it so that each event acts once."""

    __tablename__ = "payment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True, default=None)
    outcome: Mapped[str] = mapped_column(String(40), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentRefund(db.Model):
    """A payment to give back in full; one per payment intent, so a payment is never refunded twice."""

    __tablename__ = "payment_refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_intent: Mapped[str] = mapped_column(String(255), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True, default=None)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # in Stripe's units, as the session reported it
    currency: Mapped[str] = mapped_column(String(3), default="")
    reason: Mapped[str] = mapped_column(String(60))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")

    order = relationship("Order")


class StandinCheckoutSession(db.Model):
    """A Checkout Session as the stand-in's 'Stripe' keeps it."""

    __tablename__ = "standin_checkout_session"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    payment_status: Mapped[str] = mapped_column(String(10), default="unpaid")
    amount_total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    client_reference_id: Mapped[str | None] = mapped_column(String(200), default=None)
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")
    line_items_json: Mapped[str] = mapped_column(Text, default="[]")
    success_url: Mapped[str] = mapped_column(String(1000))
    cancel_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    url: Mapped[str] = mapped_column(String(1000))
    created: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer)
    payment_intent: Mapped[str | None] = mapped_column(String(80), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    request_digest: Mapped[str] = mapped_column(String(64), default="")

    def as_stripe(self):
        """The object as Stripe's API returns it."""
        return {"id": self.id, "object": "checkout.session", "amount_subtotal": self.amount_total,
                "amount_total": self.amount_total, "cancel_url": self.cancel_url,
                "client_reference_id": self.client_reference_id, "created": self.created,
                "currency": self.currency, "expires_at": self.expires_at, "livemode": False,
                "metadata": json.loads(self.metadata_json), "mode": "payment",
                "payment_intent": self.payment_intent, "payment_status": self.payment_status,
                "status": self.status, "success_url": self.success_url,
                "url": self.url if self.status == "open" else None}

    @property
    def line_items(self):
        """[(name, quantity, unit_amount)]."""
        return [tuple(item) for item in json.loads(self.line_items_json)]


class StandinRefund(db.Model):
    """A refund as the stand-in's 'Stripe' keeps it."""

    __tablename__ = "standin_refund"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    payment_intent: Mapped[str] = mapped_column(String(80), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    request_digest: Mapped[str] = mapped_column(String(64), default="")

    def as_stripe(self):
        """The object as Stripe's API returns it."""
        return {"id": self.id, "object": "refund", "amount": self.amount, "currency": self.currency,
                "created": self.created, "payment_intent": self.payment_intent, "status": "succeeded"}
