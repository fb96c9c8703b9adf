"""What one payment can carry, per payment method, in whole rupiah.

A leaf module of constants (it imports nothing), so that checkout (orders/service.py) can refuse an order that
no method could take before any stock is reserved or any gateway is called.
"""
# Stripe: an `amount` has at most 8 digits in a currency's minor unit (99999999 is USD 999,999.99), except
# for the currencies its "Supported currencies" page lists with more; IDR takes 12 digits, so 999999999999
# (Rp9.999.999.999,99). Amounts are whole rupiah x 100 (payments.gateway.stripe_amount), hence this maximum.
# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
STRIPE_MAX_CHARGE_IDR = 9_999_999_999

# The most one payment by each method can be; another method adds its own entry.
MAX_PAYMENT_IDR = {"stripe": STRIPE_MAX_CHARGE_IDR}
DEFAULT_METHOD = "stripe"


def max_payment_idr(method=DEFAULT_METHOD):
    """The largest order total, in whole rupiah, that one payment by this method can take."""
    return MAX_PAYMENT_IDR[method]
