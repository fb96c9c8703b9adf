"""The buyer's order page switching method and giving an account for refunds, and the admins' page of refunds
owed to transfer and QRIS buyers (under the finance pages). Without JavaScript: plain forms and redirects."""
import stripe
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.decorators import role_required
from ..errors import DomainError
from ..extensions import db
from ..ledger.forms import BankAccountForm
from ..orders.views import _own_order, _render_order, bp as orders_bp
from ..web import show_error
from . import refunds, service, switch
from .checkout_views import METHOD_LABELS, _start_payment
from .forms_refunds import RefundMadeForm, SwitchForm
from .gateway import PaymentsUnavailable
from .views import bp

admin_required = role_required("admin")


@orders_bp.app_context_processor
def refund_words():
    """For the order page: the methods to switch to, what is owed back, and the refund account form."""
    return {"switchable_methods": switch.switchable_methods, "owed_on": refunds.owed_on,
            "refund_account_of": refunds.refund_account, "refund_form": _refund_form}


def _refund_form(order):
    """The form as the buyer sent it (after an error), or filled with the account already given."""
    return g.get("refund_form") or BankAccountForm(obj=refunds.refund_account(order), formdata=None)


@orders_bp.route("/orders/<code>/cara-bayar", methods=["POST"])
@login_required
def switch_method(code):
    """The buyer pays an unpaid order another way: the old attempt is closed (Stripe's session first)."""
    order = _own_order(code)
    method = request.form.get("method", "")[:20]
    if not SwitchForm().validate_on_submit():
        abort(400)
    if method not in switch.switchable_methods(order):
        return _render_order(order, _("Pilih cara pembayaran dari daftar."), 422)
    session_id = service.stripe_session_of(order) if order.state == "pending" else None
    db.session.commit()  # no lock held while Stripe answers
    try:
        card_session = service.close_session(session_id)
    except (stripe.StripeError, PaymentsUnavailable):
        current_app.logger.exception("could not close the payment session of order %s", code)
        flash(_("Cara pembayaran belum dapat diganti; coba lagi sebentar lagi."), "error")
        return redirect(url_for("orders.order_page", code=code))
    try:
        switch.switch_method(order, method, card_session)
    except DomainError as error:
        db.session.rollback()
        return _render_order(_own_order(code), error.message, 409)
    db.session.commit()
    if method == "stripe":
        return _start_payment(order, "stripe")
    flash(_("Cara pembayaran diganti ke %(method)s.", method=METHOD_LABELS[method]), "success")
    return redirect(url_for("orders.order_page", code=code))


@orders_bp.route("/orders/<code>/rekening-pengembalian", methods=["POST"])
@login_required
def refund_account(code):
    """The buyer's bank account for money owed back on this order."""
    order = _own_order(code)
    form = g.refund_form = BankAccountForm()
    if form.validate_on_submit():
        try:
            refunds.set_refund_account(order, form.bank_code.data, form.account_number.data, form.holder_name.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Rekening pengembalian disimpan."), "success")
            return redirect(url_for("orders.order_page", code=code, _anchor="pengembalian"))
    return _render_order(_own_order(code), _("Periksa rekening pengembalian."), 422)


@bp.route("/admin/keuangan/pengembalian")
@admin_required
def refunds_owed():
    """Refunds owed to transfer and QRIS buyers, with the account each gave, and a form to record each."""
    owed = refunds.open_refunds()
    return render_template("payments/refunds_owed.html", owed=owed,
                           accounts=refunds.accounts_of({each.order for each in owed}), form=RefundMadeForm())


@bp.route("/admin/keuangan/pengembalian/<cause>", methods=["POST"])
@admin_required
def record_refund(cause):
    """Record the transfer an admin made back for one cause (once, however many clicks)."""
    form = RefundMadeForm()
    if not form.validate_on_submit():
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
        return redirect(url_for("payments.refunds_owed"))
    try:
        refunds.record_refund(cause[:40], current_user, form.bank_reference.data, form.transferred_on.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Pengembalian dana dicatat; pembeli diberi tahu."), "success")
    return redirect(url_for("payments.refunds_owed"))
