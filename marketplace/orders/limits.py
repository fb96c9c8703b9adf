"""What one payment can carry, per payment method, in whole rupiah.

A leaf module of constants (it imports nothing), so that checkout (orders/service.py) can refuse an order that
no method could take before any stock is reserved or any gateway is called.
"""
# Stripe: an `amount` has at most 8 digits in a currency's minor unit (99999999 is USD 999,999.99), except
# for the currencies its "Supported currencies" page lists with more; IDR takes 12 digits, so 999999999999
# (Rp9.999.999.999,99). Amounts are whole rupiah x 100 (payments.gateway.stripe_amount), hence this maximum.
# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
STRIPE_MAX_CHARGE_IDR = 9_999_999_999

# A bank transfer asks the total plus a unique code of up to Rp999, and RTGS transfers have no upper limit:
# the same ceiling as Stripe's, less room for the code. QRIS: Bank Indonesia caps one QRIS payment at Rp10 juta,
# unique code included, so an order paid by QRIS stops Rp999 below it.
BANK_TRANSFER_MAX_IDR = STRIPE_MAX_CHARGE_IDR - 999
QRIS_MAX_IDR = 10_000_000
QRIS_MAX_ORDER_IDR = QRIS_MAX_IDR - 999

# Cash at pickup: notes counted by hand at a producer's door, in a village, often by someone travelling home
# with them. Rp5 juta is fifty Rp100.000 notes, already a thick bundle to carry and count, and above the
# largest sums village sellers tell us they take in cash; larger orders go by transfer or QRIS, which leave
# a record. The producer also holds the goods for days on the buyer's word, a risk that should stay small.
CASH_ON_PICKUP_MAX_IDR = 5_000_000

# The most one payment by each method can be; another method adds its own entry.
MAX_PAYMENT_IDR = {"stripe": STRIPE_MAX_CHARGE_IDR, "bank_transfer": BANK_TRANSFER_MAX_IDR, "qris": QRIS_MAX_ORDER_IDR,
                   "cash_on_pickup": CASH_ON_PICKUP_MAX_IDR}
DEFAULT_METHOD = "stripe"


def max_payment_idr(method=DEFAULT_METHOD):
    """The largest order total, in whole rupiah, that one payment by this method can take."""
    return MAX_PAYMENT_IDR[method]
