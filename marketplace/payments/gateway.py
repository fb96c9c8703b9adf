"""The one door to Stripe: the client (real Stripe, or the local stand-in), amounts, and the calls we make.

The Stripe SDK is the extension point: with STRIPE_SECRET_KEY set it talks to Stripe (or to STRIPE_API_BASE);
without it, outside production, the same SDK calls go to the stand-in in this process.
"""
import stripe
from flask import current_app

from . import standin

CURRENCY = "idr"


class PaymentsUnavailable(RuntimeError):
    """Payments are not configured (production without a Stripe key)."""


def stripe_amount(amount_idr):
    """Whole rupiah in Stripe's units. IDR is a two-decimal currency in Stripe, so Rp15.000 is 1500000."""
    if isinstance(amount_idr, bool) or not isinstance(amount_idr, int) or amount_idr < 0:
        raise ValueError(f"amount in whole rupiah expected, got {amount_idr!r}")
    return amount_idr * 100


def rupiah_amount(stripe_units):
    """Stripe's units back in whole rupiah, or None when they are not a whole number of rupiah."""
    if isinstance(stripe_units, bool) or not isinstance(stripe_units, int) or stripe_units < 0 or stripe_units % 100:
        return None
    return stripe_units // 100


def client():
    """The Stripe client for this app, built once per process."""
    config = current_app.config
    key, base = config.get("STRIPE_SECRET_KEY"), config.get("STRIPE_API_BASE")
    cache_key = ("stripe-client", key, base, standin.is_active(current_app))
    cached = current_app.extensions.get("pasardesa_stripe")
    if cached is not None and cached[0] == cache_key:
        return cached[1]
    if key:
        built = stripe.StripeClient(key, base_addresses={"api": base} if base else None, max_network_retries=2)
    elif config.get("PRODUCTION"):
        raise PaymentsUnavailable("STRIPE_SECRET_KEY must be set in production.")
    elif base:  # a stand-in served elsewhere, e.g. stripe-mock
        built = stripe.StripeClient(standin.API_KEY, base_addresses={"api": base})
    else:
        built = stripe.StripeClient(standin.API_KEY, http_client=standin.StandInHTTPClient())
    current_app.extensions["pasardesa_stripe"] = (cache_key, built)
    return built


def expected_livemode():
    """True when the configured key is a live one: only then may live events arrive."""
    return (current_app.config.get("STRIPE_SECRET_KEY") or "").startswith(("sk_live_", "rk_live_"))


def create_checkout_session(params, idempotency_key):
    """Create a Checkout Session; the same key and params give back the same session."""
    return client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})


def retrieve_checkout_session(session_id):
    """A Checkout Session as Stripe has it now."""
    return client().v1.checkout.sessions.retrieve(session_id)


def expire_checkout_session(session_id):
    """Close an open Checkout Session so that it can no longer be paid."""
    return client().v1.checkout.sessions.expire(session_id)


def refund_payment(payment_intent, idempotency_key, amount_idr=None, metadata=None):
    """Refund a payment, in full or (with amount_idr) in part; the idempotency key makes a retry return the
    same refund."""
    params = {"payment_intent": payment_intent, "reason": "requested_by_customer"}
    if amount_idr is not None:
        params["amount"] = stripe_amount(amount_idr)
    if metadata:
        params["metadata"] = metadata
    return client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
