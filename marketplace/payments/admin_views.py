"""The admins' payment settings: which methods checkout offers, and the accounts buyers transfer to."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..accounts.decorators import role_required
from ..errors import DomainError
from ..extensions import db
from . import cash, statement, transfer
from .checkout_views import METHOD_LABELS
from .forms import AccountForm, ActionForm, ReceivedForm, StatementForm
from .models import PAYMENT_METHODS, PaymentMethodSetting, ReceivingAccount, StatementLine
from .views import bp

admin_required = role_required("admin")


def _render(form=None, status=200):
    settings = {row.method: row.enabled for row in db.session.query(PaymentMethodSetting)}
    switches = [(method, METHOD_LABELS[method], settings.get(method, method in transfer.ENABLED_BY_DEFAULT),
                 transfer.method_enabled(method)) for method in PAYMENT_METHODS]
    accounts = db.session.query(ReceivingAccount).order_by(ReceivingAccount.id).all()
    return render_template("payments/admin.html", switches=switches, accounts=accounts,
                           form=form or AccountForm(), action_form=ActionForm(),
                           cash_shops=cash.shops_accepting()), status


@bp.route("/admin/payments")
@admin_required
def admin_settings():
    """Methods with their switches, and the receiving accounts."""
    return _render()


@bp.route("/admin/payments/methods/<method>", methods=["POST"])
@admin_required
def switch_method(method):
    """Turn one method on or off."""
    enabled = request.form.get("enabled")
    if method not in PAYMENT_METHODS or enabled not in ("0", "1") or not ActionForm().validate_on_submit():
        abort(400)
    transfer.set_method_enabled(method, enabled == "1")
    db.session.commit()
    return redirect(url_for("payments.admin_settings"))


@bp.route("/admin/payments/accounts", methods=["POST"])
@admin_required
def add_account():
    """Register a receiving account."""
    form = AccountForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    try:
        transfer.add_account(form.bank.data, form.account_number.data, form.holder_name.data)
    except DomainError as error:
        db.session.rollback()
        errors = form[error.field].errors if error.field in form else form.form_errors
        errors.append(error.message)
        return _render(form, 422)
    db.session.commit()
    flash(_("Rekening ditambahkan."), "success")
    return redirect(url_for("payments.admin_settings"))


@bp.route("/admin/payments/accounts/<int(max=2147483647):account_id>/deactivate", methods=["POST"])
@admin_required
def deactivate_account(account_id):
    """Stop showing an account to buyers."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        transfer.deactivate_account(account_id)
    except DomainError:
        abort(404)
    db.session.commit()
    return redirect(url_for("payments.admin_settings"))


def _statement_form():
    form = StatementForm()
    form.account.choices = [(account.id, f"{account.bank} {account.account_number}")
                            for account in transfer.active_accounts()]
    return form


@bp.route("/admin/payments/transfers")
@admin_required
def transfer_queue():
    """Open transfers with their amounts and ages, to mark received; the statement upload; unmatched lines."""
    unmatched = db.session.query(StatementLine).filter(StatementLine.outcome == "unmatched") \
        .order_by(StatementLine.booked_on.desc(), StatementLine.id.desc()).limit(200).all()
    return render_template("payments/transfers.html", payments=transfer.open_transfers(), form=ReceivedForm(),
                           statement_form=_statement_form(), unmatched=unmatched)


@bp.route("/admin/payments/statements", methods=["POST"])
@admin_required
def upload_statement():
    """Import a statement CSV; a file that does not parse changes nothing and says why."""
    form = _statement_form()
    upload = request.files.get("statement")
    if not form.validate_on_submit() or upload is None:
        abort(400)
    try:
        result = statement.import_statement(form.account.data, upload.stream.read(statement.MAX_BYTES + 1))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("payments.transfer_queue"))
    db.session.commit()
    flash(_("%(settled)s dibayar, %(owed)s harus dikembalikan, %(unmatched)s belum cocok, %(old)s sudah pernah "
            "diimpor.", settled=result.settled, owed=result.refund_owed, unmatched=result.unmatched,
            old=result.already_imported), "success")
    return redirect(url_for("payments.transfer_queue"))


@bp.route("/admin/payments/transfers/<int(max=2147483647):payment_id>/received", methods=["POST"])
@admin_required
def mark_received(payment_id):
    """The exact amount arrived: the order is settled as any payment is."""
    form = ReceivedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = transfer.confirm_received(payment_id, form.bank_reference.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("payments.transfer_queue"))
    db.session.commit()
    if outcome == "paid":
        flash(_("Pembayaran diterima; pesanan dibayar."), "success")
    else:
        flash(_("Dana dicatat untuk dikembalikan; pesanan ditandai untuk admin."), "error")
    return redirect(url_for("payments.transfer_queue"))
