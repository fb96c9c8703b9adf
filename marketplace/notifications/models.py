"""The notification outbox: each message written once, in the same transaction as what it tells about."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Notification(db.Model):
    """One email, already rendered in its recipient's language.

    dedupe_key names the event it tells about (kind, order, shop order, recipient), so a repeated event cannot
    write it twice. claimed_at is set before sending and sent_at after; a message claimed but never marked
    sent (the process died mid-send) is not sent again, since it may have gone out."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True,
                                                     default=None)
    to_email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")

    recipient = relationship("User")
