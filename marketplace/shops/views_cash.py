"""The producer's side of cash at pickup, beside the other order actions: mark a cash order paid and collected,
or cancel it when the buyer does not come (the rules live in payments.cash)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.decorators import role_required
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..payments import cash
from .forms_orders import ActionForm, CancelForm
from .views import bp
from .views_orders import _own_shop_order, _render_part


@bp.app_context_processor
def cash_words():
    """`cash_pickups(shop_id)` for the producer's order list: cash orders waiting for their buyers."""
    return {"cash_pickups": cash.awaiting_pickup}


def _act_on_cash(shop_order_id, form, change, done, form_name=None):
    """Check the form, apply change(part, form), commit and go back to the order; a refusal rolls back and
    shows the order again with the message (409 or 422)."""
    part = _own_shop_order(shop_order_id)
    kept = {form_name: form} if form_name else {}
    try:
        if not form.validate_on_submit():
            raise InvalidInput(" ".join(error for errors in form.errors.values() for error in errors))
        change(part, form)
    except DomainError as error:
        db.session.rollback()
        return _render_part(part, error.message, error.status_code, **kept)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("shops.shop_order", shop_order_id=shop_order_id, changed=1))


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/cash-collected")
@role_required("producer")
def cash_collected(shop_order_id):
    """The buyer paid in cash and took the goods: the order is paid and completed."""
    return _act_on_cash(shop_order_id, ActionForm(), lambda part, form: cash.mark_collected(part, current_user),
                        _("Dibayar tunai dan diambil: pesanan selesai."))


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/cash-cancel")
@role_required("producer")
def cash_cancel(shop_order_id):
    """Cancel a cash order before it is collected (the buyer did not come): the stock goes back."""
    return _act_on_cash(shop_order_id, CancelForm(),
                        lambda part, form: cash.cancel_pickup(part, current_user, form.reason.data),
                        _("Pesanan dibatalkan; stoknya kembali."), "cancel_form")
