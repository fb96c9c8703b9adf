"""The producer's orders: the list by state, one order with its actions, the packing slip, the sales overview.

Every action is a CSRF-protected form; the view calls one service function, commits once and redirects.
A refusal (wrong state, bad courier or resi, no reason) re-renders the order with the message and a 409/422,
having rolled back, so nothing changes."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..accounts.decorators import role_required
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..i18n import rupiah
from ..models_base import utcnow
from ..orders import messaging, queries
from ..orders import service as orders
from ..payments import service as payments
from ..payments.gateway import PaymentsUnavailable
from ..web import page_number
from . import sales, service
from .forms_orders import ActionForm, CancelForm, ShipForm
from .views import bp

PER_PAGE = 20
PAPER_SIZES = ("a4", "a6")
STATE_LABELS = {"awaiting_payment": _l("Menunggu pembayaran"), "paid": _l("Pesanan baru"),
                "preparing": _l("Diproses"), "shipped": _l("Dikirim"), "ready_for_pickup": _l("Siap diambil"),
                "completed": _l("Selesai"), "cancelled": _l("Dibatalkan")}
TAB_LABELS = {"new": _l("Baru"), "preparing": _l("Diproses"), "sent": _l("Dikirim/siap diambil"),
              "completed": _l("Selesai"), "cancelled": _l("Dibatalkan")}
ORDER_EVENT_LABELS = {"pending": _l("Pesanan dibuat"), "processing": _l("Pembayaran sedang dikonfirmasi"),
                      "paid": _l("Pembayaran diterima"), "cancelled": _l("Pesanan dibatalkan"),
                      "expired": _l("Waktu pembayaran habis")}
ACTOR_LABELS = {"buyer": _l("Pembeli"), "producer": _l("Penjual"), "admin": _l("Admin"),
                "system": _l("Sistem"), "payment": _l("Pembayaran")}


@bp.context_processor
def order_words():
    """Labels of states, tabs and actors, and the count of new orders, for the shops templates."""
    return {"state_label": lambda state: STATE_LABELS.get(state, state),
            "actor_label": lambda role: ACTOR_LABELS.get(role, role),
            "event_label": _event_label,
            "new_order_count": sales.new_order_count}


@bp.app_context_processor
def header_shop_orders():
    """`shop_orders_waiting()` for the header: a producer's new paid orders (asked only for producers)."""
    return {"shop_orders_waiting": lambda: sales.new_orders_of(current_user.id)}


def _event_label(event):
    """What happened, in words: a change of this shop's part, or of the whole order's payment."""
    labels = STATE_LABELS if event.shop_order_id else ORDER_EVENT_LABELS
    return labels.get(event.to_state, event.to_state)


def _own_shop_order(shop_order_id):
    """The current producer's part of an order; another shop's, or none, is 404."""
    part = queries.producer_shop_order(current_user, shop_order_id)
    if part is None:
        abort(404)
    return part


# The function is not called orders: that would shadow the orders service module.
@bp.route("/dashboard/orders", endpoint="orders")
@role_required("producer")
def orders_list():
    """The shop's paid orders by state; an unknown ?state= shows the new ones."""
    shop = service.shop_of(current_user)
    if shop is None:
        flash(_("Buka toko Anda dulu; pesanan akan tampil di sini."), "info")
        return redirect(url_for("shops.edit_shop"))
    tab = request.args.get("state", "new")
    tab = tab if tab in sales.TABS else "new"
    counts = sales.tab_counts(shop)
    last = max(1, -(-counts[tab] // PER_PAGE))
    page = page_number(last=last)
    return render_template("shops/orders.html", shop=shop, tab=tab, tabs=TAB_LABELS, counts=counts,
                           parts=sales.orders_in_tab(shop, tab, page, PER_PAGE), page=page, last_page=last)


def _render_part(part, error=None, status=200, **forms):
    forms.setdefault("ship_form", ShipForm(formdata=None))
    forms.setdefault("cancel_form", CancelForm(formdata=None))
    return render_template("shops/shop_order.html", part=part, events=part.timeline,
                           actions=orders.producer_steps(part), action_form=ActionForm(formdata=None),
                           whatsapp=messaging.link_to_buyer(part), changed=request.args.get("changed") == "1",
                           error=error, **forms), status


@bp.route("/dashboard/orders/<int(max=2147483647):shop_order_id>")
@role_required("producer")
def shop_order(shop_order_id):
    """One order of the producer's shop, with what can be done next."""
    return _render_part(_own_shop_order(shop_order_id))


def _act(shop_order_id, form, change, done, form_name=None, paid_only=True):
    """Check the form, apply change(part, form), commit and go back to the order with a flash; a refusal
    rolls back and shows the order again with the message (409 or 422). Only paid orders are acted on, except
    with paid_only=False (a cash order is paid at the handover)."""
    part = _own_shop_order(shop_order_id)
    kept = {form_name: form} if form_name else {}
    try:
        if paid_only:
            orders.require_paid(part)
        if not form.validate_on_submit():
            raise InvalidInput(" ".join(error for errors in form.errors.values() for error in errors))
        change(part, form)
    except DomainError as error:
        db.session.rollback()
        return _render_part(part, error.message, error.status_code, **kept)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("shops.shop_order", shop_order_id=shop_order_id, changed=1))


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/accept")
@role_required("producer")
def accept_order(shop_order_id):
    """Take a paid order on: it is being prepared."""
    return _act(shop_order_id, ActionForm(), lambda part, form: orders.accept_shop_order(part, current_user),
                _("Pesanan diterima dan sedang diproses."))


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/ship")
@role_required("producer")
def ship_order(shop_order_id):
    """Hand a prepared delivery to a courier, with its tracking number."""
    def ship(part, form):
        orders.ship_shop_order(part, current_user, form.courier.data, form.tracking_number.data,
                               courier_other=form.courier_other.data)

    return _act(shop_order_id, ShipForm(), ship, _("Pesanan ditandai dikirim."), "ship_form")


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/ready")
@role_required("producer")
def ready_order(shop_order_id):
    """A pickup order is packed and waits for the buyer."""
    return _act(shop_order_id, ActionForm(), lambda part, form: orders.mark_ready_for_pickup(part, current_user),
                _("Pesanan ditandai siap diambil."))


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/hand-over")
@role_required("producer")
def hand_over_order(shop_order_id):
    """The buyer collected a pickup order in person."""
    return _act(shop_order_id, ActionForm(), lambda part, form: orders.hand_over(part, current_user),
                _("Pesanan sudah diserahkan kepada pembeli dan selesai."))


@bp.post("/dashboard/orders/<int(max=2147483647):shop_order_id>/cancel")
@role_required("producer")
def cancel_order(shop_order_id):
    """Cancel before shipping: the stock goes back, and the buyer's money for this part is refunded."""
    refunds = []

    def cancel(part, form):
        orders.cancel_shop_order(part, current_user, "producer", form.reason.data)
        refunds.append(payments.shop_refund_due(part))  # taken before the commit: Stripe is asked after it

    response = _act(shop_order_id, CancelForm(), cancel, _("Pesanan dibatalkan; stoknya kembali."), "cancel_form")
    if refunds and refunds[0]:
        _refund(refunds[0])
    return response


def _refund(refund):
    """Ask Stripe for the part's refund after the commit; a failure leaves it owed for the cron retry."""
    try:
        made = payments.make_shop_refund(*refund)
        db.session.commit()
    except PaymentsUnavailable:
        db.session.rollback()
        current_app.logger.exception("could not refund shop order %s", refund[0])
        made = False
    if made:
        flash(_("Dana %(amount)s dikembalikan kepada pembeli.", amount=rupiah(refund[2])), "success")
    else:
        flash(_("Pengembalian dana %(amount)s belum berhasil; sistem akan mencobanya lagi.",
                amount=rupiah(refund[2])), "info")


@bp.route("/dashboard/orders/<int(max=2147483647):shop_order_id>/slip")
@role_required("producer")
def packing_slip(shop_order_id):
    """A packing slip to print on A4 or A6 (?size=a6) and stick on the parcel."""
    size = request.args.get("size", "a4")
    return render_template("shops/packing_slip.html", part=_own_shop_order(shop_order_id),
                           size=size if size in PAPER_SIZES else "a4", sizes=PAPER_SIZES)


@bp.route("/dashboard/sales", endpoint="sales")
@role_required("producer")
def sales_page():
    """The last 30 days: payout, orders, best sellers and a bar per day."""
    shop = service.shop_of(current_user)
    if shop is None:
        flash(_("Buka toko Anda dulu; penjualan akan tampil di sini."), "info")
        return redirect(url_for("shops.edit_shop"))
    overview = sales.sales_overview(shop, utcnow())
    return render_template("shops/sales.html", shop=shop, overview=overview,
                           bars=sales.chart_bars(overview.days), chart_width=sales.chart_width(overview.days),
                           chart_height=sales.CHART_HEIGHT)

