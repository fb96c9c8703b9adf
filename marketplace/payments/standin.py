"""A local stand-in for the part of Stripe the marketplace uses, so that a purchase works offline.

Active only when STRIPE_SECRET_KEY is unset and the app is not in production. The app still talks to it
through the real Stripe SDK: `StandInHTTPClient` is an SDK HTTP client that hands each request, form-encoded
exactly as the SDK sends it to Stripe, to `handle_api_request` in the same process, which answers with
Stripe's JSON shapes and error format. In-process rather than over HTTP because a single-process server
(`flask run --without-threads`, one sync gunicorn worker) calling itself would wait for itself forever, and
the tests need no server at all. Sessions and refunds live in the stand-in's own tables, so several
processes see the same state; nothing is kept in module variables.
"""
import hashlib
import hmac
import json
import re
import secrets
import time
from urllib.parse import parse_qsl, urlsplit

import stripe
from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select, update

from ..extensions import db
from .models import StandinCheckoutSession, StandinRefund  # noqa: F401 (the stand-in's own tables)

API_KEY = "sk_test_pasardesa_standin"
PAGE_PREFIX = "/stripe-standin"
MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 3600


def is_active(app):
    """The stand-in serves only without a Stripe key and never in production."""
    return not app.config.get("STRIPE_SECRET_KEY") and not app.config.get("PRODUCTION")


class StandInHTTPClient(stripe.HTTPClient):
    """A Stripe SDK HTTP client that hands requests to the stand-in in this process."""

    name = "pasardesa-standin"

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        """Answer one SDK request as Stripe would: (JSON body, status, headers)."""
        parts = urlsplit(url)
        raw = post_data if method.lower() == "post" else parts.query
        raw = raw.decode() if isinstance(raw, bytes) else (raw or "")
        status, body = handle_api_request(method.upper(), parts.path, decode_form(raw), dict(headers or {}), raw)
        return json.dumps(body), status, {"Request-Id": "req_" + secrets.token_hex(12)}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        """Streaming is not used by the marketplace."""
        raise NotImplementedError("the Stripe stand-in does not stream")

    def close(self):
        """Nothing to close."""


def decode_form(text):
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts and lists."""
    root = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        path = re.findall(r"[^\[\]]+", key)
        if not path:
            continue
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node[path[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


class _Refused(Exception):
    def __init__(self, status, message, code=None, param=None, kind="invalid_request_error"):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": kind, "message": message, "code": code,
                                                    "param": param}}


def handle_api_request(method, path, params, headers, raw_body=""):
    """One Stripe API call against the stand-in: (status, JSON-able body)."""
    if not hmac.compare_digest(headers.get("Authorization", ""), f"Bearer {API_KEY}"):
        return 401, _Refused(401, "Invalid API Key provided.", kind="invalid_request_error").body
    key = headers.get("Idempotency-Key")
    digest = hashlib.sha256(raw_body.encode()).hexdigest()
    routes = [("POST", r"/v1/checkout/sessions", lambda: _create_session(params, key, digest)),
              ("GET", r"/v1/checkout/sessions/([\w]+)", lambda sid: _session(sid).as_stripe()),
              ("POST", r"/v1/checkout/sessions/([\w]+)/expire", _expire),
              ("POST", r"/v1/refunds", lambda: _create_refund(params, key, digest))]
    try:
        for verb, pattern, action in routes:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return 200, action(*match.groups())
        raise _Refused(404, f"Unrecognized request URL ({method}: {path}).")
    except _Refused as refused:
        return refused.status, refused.body


def _session(session_id):
    session = db.session.get(StandinCheckoutSession, session_id)
    if session is None:
        raise _Refused(404, f"No such checkout.session: '{session_id}'", code="resource_missing", param="session")
    if session.status == "open" and session.expires_at <= int(time.time()):
        session.status = "expired"
        db.session.flush()
    return session


def _replayed(model, key, digest):
    """The object first created with this idempotency key, like Stripe's replay; None for a new key."""
    earlier = db.session.scalar(select(model).where(model.idempotency_key == key)) if key else None
    if earlier is not None and not hmac.compare_digest(earlier.request_digest, digest):
        raise _Refused(400, "Keys for idempotent requests can only be used with the same parameters they were "
                            "first used with.", kind="idempotency_error")
    return earlier


def _whole(value, param, low=0):
    if not str(value).isdigit() or int(value) < low:
        raise _Refused(400, f"Invalid integer: {value}", param=param)
    return int(value)


def _line_items(params):
    items = params.get("line_items")
    if not isinstance(items, list) or not items:
        raise _Refused(400, "line_items is required in payment mode.", param="line_items")
    lines = []
    for index, item in enumerate(items):
        price = item.get("price_data") if isinstance(item, dict) else None
        if not isinstance(price, dict) or not isinstance(price.get("product_data"), dict):
            raise _Refused(400, "Each line item needs price_data with product_data.", param=f"line_items[{index}]")
        lines.append((str(price["product_data"].get("name", "")), _whole(item.get("quantity"), "quantity", 1),
                      _whole(price.get("unit_amount"), "unit_amount"), str(price.get("currency", "")).lower()))
    return lines


def _create_session(params, key, digest):
    earlier = _replayed(StandinCheckoutSession, key, digest)
    if earlier is not None:
        return earlier.as_stripe()
    if params.get("mode") != "payment":
        raise _Refused(400, "The stand-in supports mode=payment only.", param="mode")
    lines = _line_items(params)
    if len({currency for *_rest, currency in lines}) != 1:
        raise _Refused(400, "All line items must use the same currency.", param="line_items")
    now = int(time.time())
    expires_at = _whole(params.get("expires_at", now + MAX_LIFETIME), "expires_at")
    if not now + MIN_LIFETIME <= expires_at <= now + MAX_LIFETIME:
        raise _Refused(400, "expires_at must be between 30 minutes and 24 hours from now.", param="expires_at")
    if not str(params.get("success_url", "")).startswith(("http://", "https://")):
        raise _Refused(400, "Not a valid URL", param="success_url")
    session_id = "cs_test_" + secrets.token_hex(24)
    session = StandinCheckoutSession(
        id=session_id, status="open", payment_status="unpaid", currency=lines[0][3],
        amount_total=sum(quantity * amount for _name, quantity, amount, _cur in lines),
        client_reference_id=params.get("client_reference_id"), metadata_json=json.dumps(params.get("metadata") or {}),
        line_items_json=json.dumps([line[:3] for line in lines]), success_url=params["success_url"],
        cancel_url=params.get("cancel_url"), url=page_url(session_id), created=now, expires_at=expires_at,
        idempotency_key=key, request_digest=digest)
    db.session.add(session)
    db.session.flush()
    return session.as_stripe()


def _expire(session_id):
    session = _session(session_id)
    if session.status != "open":
        raise _Refused(400, f"Only Checkout Sessions with a status of open can be expired; this one is "
                            f"{session.status}.", code="checkout_session_not_open")
    session.status = "expired"
    db.session.flush()
    return session.as_stripe()


def _create_refund(params, key, digest):
    earlier = _replayed(StandinRefund, key, digest)
    if earlier is not None:
        return earlier.as_stripe()
    intent = str(params.get("payment_intent", ""))
    session = db.session.scalar(select(StandinCheckoutSession).where(
        StandinCheckoutSession.payment_intent == intent, StandinCheckoutSession.payment_status == "paid"))
    if not intent or session is None:
        raise _Refused(404, f"No such payment_intent: '{intent}'", code="resource_missing", param="payment_intent")
    # int(): PostgreSQL sums a bigint column as numeric, which would reach the JSON answer as a Decimal.
    refunded = int(db.session.scalar(select(func.coalesce(func.sum(StandinRefund.amount), 0))
                                     .where(StandinRefund.payment_intent == intent)))
    left = session.amount_total - refunded
    if left <= 0:
        raise _Refused(400, f"Charge for payment_intent {intent} has already been refunded.",
                       code="charge_already_refunded")
    # Like Stripe: without an amount the rest of the charge goes back; with one, a part of it.
    amount = left if params.get("amount") is None else _whole(params.get("amount"), "amount", low=1)
    if amount > left:
        raise _Refused(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                       code="amount_too_large", param="amount")
    refund = StandinRefund(id="re_" + secrets.token_hex(12), payment_intent=intent, amount=amount,
                           currency=session.currency, created=int(time.time()), idempotency_key=key,
                           request_digest=digest)
    db.session.add(refund)
    db.session.flush()
    return refund.as_stripe()


def is_past_expiry(session):
    """True when the session can no longer be paid because its time ran out."""
    return session.status == "expired" or (session.status == "open" and session.expires_at <= int(time.time()))


def finish_session(session, paid):
    """The buyer pressed Pay or Fail on the page: close an open session and return the events Stripe would send."""
    if session.status == "open" and session.expires_at <= int(time.time()):
        return [build_event("checkout.session.expired", session)] if _move(session, status="expired") else []
    finished = _move(session, status="complete", payment_status="paid" if paid else "unpaid",
                     payment_intent="pi_" + secrets.token_hex(12))
    if not finished:
        return []
    events = [build_event("checkout.session.completed", session)]
    if not paid:  # an asynchronous method (bank transfer) that fails after the buyer left the page
        events.append(build_event("checkout.session.async_payment_failed", session))
    return events


def _move(session, **values):
    """Change an open session; False when it is no longer open (a double click, a concurrent expiry)."""
    moved = db.session.execute(update(StandinCheckoutSession)
                               .where(StandinCheckoutSession.id == session.id, StandinCheckoutSession.status == "open")
                               .values(**values), execution_options={"synchronize_session": False}).rowcount == 1
    db.session.refresh(session)
    return moved


def page_url(session_id):
    """The hosted payment page of a session (absolute within a request, like Stripe's)."""
    if has_request_context():
        return url_for("payments.standin.page", session_id=session_id, _external=True)
    return f"{PAGE_PREFIX}/pay/{session_id}"


def build_event(event_type, session):
    """A Stripe event object about a stand-in session."""
    return {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": stripe.api_version,
            "created": int(time.time()), "data": {"object": session.as_stripe()}, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": event_type}


def sign(payload, secret, timestamp=None):
    """The Stripe-Signature header for a payload: t=<unix time>,v1=<HMAC-SHA256 of "t.payload" with the secret>."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_secret():
    """The secret the stand-in signs with: the one the webhook verifies with."""
    return current_app.config["STRIPE_WEBHOOK_SECRET"]
