"""Order steps a producer queued on a phone without signal, sent later: each acts once per idempotency key,
and each is still checked by the shop order's state machine (an order cancelled meanwhile is refused)."""
from ..idempotency import claim
from .service import accept_shop_order, require_paid, ship_shop_order

QUEUED_ACTIONS = ("accept", "ship")


def act_once(part, producer, key, action, courier="", tracking_number="", courier_other=""):
    """Accept or ship the part unless this key did so already; returns True when it acted now."""
    if claim(producer, key, f"order_{action}", part.id) is not None:
        return False
    require_paid(part)
    if action == "accept":
        accept_shop_order(part, producer)
    else:
        ship_shop_order(part, producer, courier, tracking_number, courier_other=courier_other)
    return True
