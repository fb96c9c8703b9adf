"""The producer's side of cash at pickup, beside the other order actions: mark a cash order paid and collected,
or cancel it when the buyer does not come (the rules live in payments.cash)."""
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.decorators import role_required
from ..payments import cash
from .forms_orders import ActionForm, CancelForm
from .views import bp
from .views_orders import _act


@bp.app_context_processor
def cash_words():
    """`cash_pickups(shop_id)` for the producer's order list: cash orders waiting for their buyers."""
    return {"cash_pickups": cash.awaiting_pickup}


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/cash-collected")
@role_required("producer")
def cash_collected(shop_order_id):
    """The buyer paid in cash and took the goods: the order is paid and completed."""
    return _act(shop_order_id, ActionForm(), lambda part, form: cash.mark_collected(part, current_user),
                _("Dibayar tunai dan diambil: pesanan selesai."), paid_only=False)


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/cash-cancel")
@role_required("producer")
def cash_cancel(shop_order_id):
    """Cancel a cash order before it is collected (the buyer did not come): the stock goes back."""
    return _act(shop_order_id, CancelForm(),
                lambda part, form: cash.cancel_pickup(part, current_user, form.reason.data),
                _("Pesanan dibatalkan; stoknya kembali."), "cancel_form", paid_only=False)
