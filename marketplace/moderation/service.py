"""Moderation rules: every decision about a listing or shop, recorded in the audit log."""
from flask_babel import gettext as _

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..models_base import utcnow
from .models import ModerationDecision


def record_decision(*, action, actor=None, product=None, shop=None, reason="", automatic=False):
    """Add one row to the audit log; rows are never changed afterwards."""
    decision = ModerationDecision(action=action, actor=actor, product=product, shop=shop, reason=reason,
                                  automatic=automatic)
    db.session.add(decision)
    return decision


def approve_product(product, actor, *, automatic=False):
    """Publish a pending listing."""
    if product.status != "pending":
        raise InvalidState(_("Hanya produk yang menunggu tinjauan yang dapat disetujui."))
    product.status = "approved"
    product.approved_at = utcnow()
    product.rejection_reason = ""
    product.changed_since_approval = False
    record_decision(action="approve", actor=actor, product=product, automatic=automatic)
    db.session.flush()


def reject_product(product, actor, reason):
    """Send a pending listing back to its producer with the reason."""
    if product.status != "pending":
        raise InvalidState(_("Hanya produk yang menunggu tinjauan yang dapat ditolak."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Tuliskan alasan penolakan."), field="reason")
    product.status = "rejected"
    product.rejection_reason = reason[:2000]
    record_decision(action="reject", actor=actor, product=product, reason=product.rejection_reason)
    db.session.flush()
