"""HTTP views of the payments feature: Stripe's webhook, and the local stand-in's payment page."""
from flask import Blueprint, abort, current_app, jsonify, request

from ..extensions import csrf, db
from . import models as _models  # noqa: F401 (tables for create_all)
from . import service, webhooks
from .gateway import PaymentsUnavailable
from .standin_views import bp as standin_bp

bp = Blueprint("payments", __name__)
bp.register_blueprint(standin_bp)


def _raw_body():
    """The body exactly as sent, refused (400) beyond 1 MiB without reading more than that."""
    if (request.content_length or 0) > webhooks.MAX_BODY_BYTES:
        abort(400)
    body = request.stream.read(webhooks.MAX_BODY_BYTES + 1)
    if len(body) > webhooks.MAX_BODY_BYTES:
        abort(400)
    return body


@bp.route("/webhooks/stripe", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    """Stripe's events about Checkout Sessions; the only route without CSRF, since the signature stands in for it."""
    try:
        outcome = webhooks.handle(_raw_body(), request.headers.get("Stripe-Signature"))
    except webhooks.BadWebhook as error:
        db.session.rollback()
        current_app.logger.info("Stripe webhook refused: %s", error)
        return jsonify(error="invalid webhook"), 400
    except PaymentsUnavailable as error:  # Stripe retries for days: time to fix the settings
        db.session.rollback()
        current_app.logger.error("Stripe webhook cannot be verified: %s", error)
        return jsonify(error="webhook not configured"), 500
    db.session.commit()
    for refund_id, payment_intent in outcome.refunds:
        service.make_refund(refund_id, payment_intent)
        db.session.commit()
    return jsonify(received=True, outcome=outcome.name), 200


from . import admin_views as _admin_views  # noqa: E402,F401  (the admin page attaches its routes to bp)
from . import refund_views as _refund_views  # noqa: E402,F401  (switching method and refunds by transfer)
from . import proof_views as _proof_views  # noqa: E402,F401  (so do the proofs of transfer)
