"""The stand-in's hosted payment page (Pay, Fail, Cancel) and its delivery of signed events to our webhook.

Events go to POST /webhooks/stripe through the app's own WSGI stack, in this process: the same raw body,
Stripe-Signature header, CSRF exemption, size limit, verification and handler as a delivery from Stripe,
without a socket. Over HTTP, a single-threaded server would deadlock waiting for itself. The page commits its
own change before delivering, so the webhook's transaction starts clean, exactly as a separate request would.
"""
import json

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.test import Client

from ..extensions import db
from ..forms import Form
from . import standin
from .standin import StandinCheckoutSession

bp = Blueprint("standin", __name__, url_prefix=standin.PAGE_PREFIX)


@bp.before_request
def only_when_active():
    """The stand-in does not exist with a real Stripe key or in production."""
    if not standin.is_active(current_app):
        abort(404)


def _session_or_404(session_id):
    session = db.session.get(StandinCheckoutSession, session_id[:80])
    if session is None:
        abort(404)
    return session


@bp.route("/pay/<session_id>")
def page(session_id):
    """Stripe's hosted checkout page, played locally."""
    session = _session_or_404(session_id)
    return render_template("payments/standin_page.html", session=session, form=Form(),
                           expired=standin.is_past_expiry(session))


@bp.route("/pay/<session_id>", methods=["POST"])
def act(session_id):
    """Pay, fail (an asynchronous method that fails later) or cancel, as the buyer would on Stripe's page."""
    session = _session_or_404(session_id)
    action = request.form.get("action", "")
    if action == "cancel":
        return redirect(session.cancel_url or session.success_url)
    if action not in ("pay", "fail"):
        abort(400)
    events = standin.finish_session(session, paid=action == "pay")
    success_url = session.success_url
    db.session.commit()
    for event in events:
        deliver(event)
    if not events or events[0]["type"] == "checkout.session.expired":
        db.session.refresh(session)
        return render_template("payments/standin_page.html", session=session, form=Form(), expired=True), 409
    return redirect(success_url)


def deliver(event):
    """POST a signed event to /webhooks/stripe as Stripe would; returns the HTTP status the app answered."""
    payload = json.dumps(event, separators=(",", ":")).encode()
    headers = {"Stripe-Signature": standin.sign(payload, standin.webhook_secret()),
               "Content-Type": "application/json; charset=utf-8",
               "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
    app = current_app._get_current_object()
    # The inner request shares this app context; give it an empty `g` as a request of its own would have.
    saved = dict(vars(g))
    vars(g).clear()
    try:
        response = Client(app).post(url_for("payments.stripe_webhook"), data=payload, headers=headers,
                                    base_url=request.host_url)
        status = response.status_code
        response.close()
    finally:
        vars(g).clear()
        vars(g).update(saved)
    if status >= 300:
        current_app.logger.warning("stand-in: webhook answered %s to %s", status, event["type"])
    return status

