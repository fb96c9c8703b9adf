"""The audit trail of moderation decisions (rows only ever added), approved snapshots and reports."""
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import InvalidState
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

REPORT_STATUSES = ("open", "resolved")
REPORT_RESOLUTIONS = ("dismissed", "unpublished", "suspended")
REPORT_REASONS = ("scam", "prohibited", "misleading", "counterfeit", "offensive", "other")


class ModerationDecision(db.Model):
    """Who decided what about a listing or shop, when and why."""

    __tablename__ = "moderation_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True, default=None)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id"), index=True, default=None)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"), index=True, default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User")
    product = relationship("Product")
    shop = relationship("Shop")
    review = relationship("Review")


@event.listens_for(ModerationDecision, "before_update")
@event.listens_for(ModerationDecision, "before_delete")
def _decisions_are_history(mapper, connection, decision):
    """The audit trail is only ever added to: an edit or a delete of a decision is refused."""
    raise InvalidState(_("Keputusan moderasi tidak dapat diubah atau dihapus."))


class ProductSnapshot(db.Model):
    """A listing's reviewed content as it was approved, so a later edit can be shown old beside new."""

    __tablename__ = "product_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("moderation_decision.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    photo_hashes: Mapped[list] = mapped_column(JSON, default=list)
    pirt_number: Mapped[str] = mapped_column(String(15), default="")
    bpom_number: Mapped[str] = mapped_column(String(20), default="")
    halal_number: Mapped[str] = mapped_column(String(40), default="")
    halal_expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category = relationship("Category")
    decision = relationship("ModerationDecision")


class Report(db.Model):
    """A visitor's report about a listing (product_id set) or a whole shop (product_id empty)."""

    __tablename__ = "report"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
        CheckConstraint("reason IN ('scam', 'prohibited', 'misleading', 'counterfeit', 'offensive', 'other')",
                        name="reason_known"),
        CheckConstraint("resolution IN ('', 'dismissed', 'unpublished', 'suspended')", name="resolution_known"),
        Index("ix_report_status_shop", "status", "shop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True, default=None)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    # HMAC of the sender's address: enough to spot one sender's repeats, without keeping the address.
    reporter_address_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    resolution: Mapped[str] = mapped_column(String(20), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_decision.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    product = relationship("Product")
    shop = relationship("Shop")
    reporter = relationship("User", foreign_keys=[reporter_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
    decision = relationship("ModerationDecision")

    @property
    def is_open(self):
        """True until an admin resolves it."""
        return self.status == "open"
