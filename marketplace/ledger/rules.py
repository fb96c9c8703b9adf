"""The money movements of the marketplace as journal entries: one function per cause.

Each takes plain values and a reference that names its cause (a payment, a shop order, a payout line),
so that a cause retried, replayed or raced is recorded once.
"""
from dataclasses import dataclass

from .service import credit, debit, post, shop_account


@dataclass(frozen=True)
class ShopShare:
    """What one shop's part of a payment is worth: goods and shipping paid, and the platform's fee."""

    shop_id: int
    gross_idr: int
    fee_idr: int

    @property
    def net_idr(self):
        """What the shop earns from it."""
        return self.gross_idr - self.fee_idr


def record_payment(reference, held, shares, unique_code_idr=0, order_id=None):
    """Money arrived for an order: held grows by all of it; each shop's net waits as pending; the fees
    are commission; the unique code is the platform's."""
    lines = [debit(held, sum(share.gross_idr for share in shares) + unique_code_idr),
             credit("income:commission", sum(share.fee_idr for share in shares)),
             credit("income:unique_code", unique_code_idr)]
    lines += [credit(shop_account(share.shop_id, "pending"), share.net_idr) for share in shares]
    return post("payment_settled", reference, lines, order_id=order_id)


def record_late_payment(reference, held, amount_idr, order_id=None):
    """Money arrived that nothing can be sold for any more (paid after expiry): held, and owed back."""
    return post("late_payment", reference, [debit(held, amount_idr), credit("refunds_owed", amount_idr)],
                order_id=order_id)


def record_cancellation(reference, share, released, shop_order_id=None, order_id=None):
    """A paid shop part cancelled: its net leaves the shop (from available when already released,
    which may go below zero after a payout: the next payout takes it back), the fee is given up,
    and the buyer is owed the whole part."""
    source = shop_account(share.shop_id, "available" if released else "pending")
    lines = [debit(source, share.net_idr), debit("income:commission", share.fee_idr),
             credit("refunds_owed", share.gross_idr)]
    return post("shop_order_cancelled", reference, lines, shop_order_id=shop_order_id, order_id=order_id)


def record_refund_paid(reference, held, amount_idr, order_id=None):
    """Money owed to a buyer went back out of a receiving account."""
    return post("refund_paid", reference, [debit("refunds_owed", amount_idr), credit(held, amount_idr)],
                order_id=order_id)


def release_earnings(reference, shop_id, net_idr, shop_order_id=None):
    """A completed part's hold period is over: its net moves from pending to available."""
    lines = [debit(shop_account(shop_id, "pending"), net_idr), credit(shop_account(shop_id, "available"), net_idr)]
    return post("earnings_released", reference, lines, shop_order_id=shop_order_id)


def record_cash_commission(reference, shop_id, fee_idr, shop_order_id=None, order_id=None):
    """A cash sale at pickup: the shop holds the money, and owes the platform its fee."""
    lines = [debit(shop_account(shop_id, "commission_owed"), fee_idr), credit("income:commission", fee_idr)]
    return post("cash_commission", reference, lines, shop_order_id=shop_order_id, order_id=order_id)
