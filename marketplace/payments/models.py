"""Stripe events already handled, the refunds the marketplace owes or has made, and the local stand-in's
own tables (what its pretend Stripe knows: Checkout Sessions and refunds)."""
import json
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


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
