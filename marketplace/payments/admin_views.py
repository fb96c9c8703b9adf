"""The admins' payment settings: which methods checkout offers, and the accounts buyers transfer to."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.decorators import role_required
from ..errors import DomainError
from ..extensions import db
from ..models_base import utcnow
from . import cash, proofs, qris, statement, statement_layout, transfer
from .checkout_views import METHOD_LABELS
from .forms import (AccountForm, ActionForm, LayoutForm, MatchForm, QrisForm, ReceivedForm, RejectForm,
                    StatementForm)
from .models import PAYMENT_METHODS, PaymentMethodSetting, ReceivingAccount
from .views import bp

admin_required = role_required("admin")


def _render(form=None, status=200, qris_form=None, layout_form=None, layout_account=None):
    settings = {row.method: row.enabled for row in db.session.query(PaymentMethodSetting)}
    switches = [(method, METHOD_LABELS[method], settings.get(method, method in transfer.ENABLED_BY_DEFAULT),
                 transfer.method_enabled(method)) for method in PAYMENT_METHODS]
    accounts = db.session.query(ReceivingAccount).order_by(ReceivingAccount.id).all()
    layouts = {layout.account_id: layout for layout in db.session.query(statement_layout.StatementLayout)}
    payload = transfer.qris_payload()
    return render_template("payments/admin.html", switches=switches, accounts=accounts, layouts=layouts,
                           layout_form=layout_form or LayoutForm(formdata=None), layout_account=layout_account,
                           form=form or AccountForm(), action_form=ActionForm(),
                           qris_form=qris_form or QrisForm(formdata=None, payload=payload),
                           qris_merchant=qris.validate_static(payload) if payload else "",
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


@bp.route("/admin/payments/qris", methods=["POST"])
@admin_required
def set_qris():
    """Store the platform's static QRIS payload; a bad one is refused with the reason and changes nothing."""
    form = QrisForm()
    if not form.validate_on_submit():
        return _render(status=422, qris_form=form)
    try:
        merchant = transfer.set_qris_payload(form.payload.data)
    except DomainError as error:
        db.session.rollback()
        form.payload.errors.append(error.message)
        return _render(status=422, qris_form=form)
    db.session.commit()
    flash(_("QRIS disimpan: %(merchant)s.", merchant=merchant), "success")
    return redirect(url_for("payments.admin_settings"))


def _statement_form():
    form = StatementForm()
    form.account.choices = [(account.id, f"{account.bank} {account.account_number}")
                            for account in transfer.active_accounts()]
    return form


@bp.route("/admin/payments/transfers")
@admin_required
def transfer_queue():
    """Open transfers with their amounts, ages and the buyers' proofs, to mark received or reject a proof; the
    statement upload; unmatched lines."""
    payments = transfer.open_transfers()
    return render_template("payments/transfers.html", payments=payments, form=ReceivedForm(),
                           accounts=transfer.active_accounts(),
                           match_form=MatchForm(), unmatched=statement.unmatched_lines(),
                           reject_form=RejectForm(), proofs=proofs.proofs_of([payment.id for payment in payments]),
                           ages={payment.id: _age(payment.created_at) for payment in payments},
                           statement_form=_statement_form())


def _age(moment):
    """How long ago, as an admin reads it at a glance: '2 hari 3 jam', '5 jam 10 menit', '7 menit'."""
    minutes = max(0, int((utcnow() - moment).total_seconds() // 60))
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return _("%(days)d hari %(hours)d jam", days=days, hours=hours)
    if hours:
        return _("%(hours)d jam %(minutes)d menit", hours=hours, minutes=minutes)
    return _("%(minutes)d menit", minutes=minutes)


@bp.route("/admin/payments/statements", methods=["POST"])
@admin_required
def upload_statement():
    """Import a statement CSV; a file that does not parse changes nothing and says why."""
    form = _statement_form()
    upload = request.files.get("statement")
    if not form.validate_on_submit() or upload is None:
        abort(400)
    result = _on_queue(lambda: statement.import_statement(form.account.data,
                                                        upload.stream.read(statement.MAX_BYTES + 1)))
    if result is not None:
        flash(_("%(settled)s dibayar, %(owed)s harus dikembalikan, %(unmatched)s belum cocok, %(old)s sudah pernah "
                "diimpor.", settled=result.settled, owed=result.refund_owed, unmatched=result.unmatched,
                old=result.already_imported), "success")
    return redirect(url_for("payments.transfer_queue"))


def _on_queue(action):
    """Run an admin's action on the transfer queue: committed, with its result; or, refused, rolled back with
    the reason flashed, and None."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return None
    db.session.commit()
    return result


@bp.route("/admin/payments/transfers/<int(max=2147483647):payment_id>/received", methods=["POST"])
@admin_required
def mark_received(payment_id):
    """The exact amount arrived: the order is settled as any payment is."""
    form = ReceivedForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = _on_queue(lambda: transfer.confirm_received(payment_id, form.bank_reference.data, admin=current_user,
                                                          account_id=form.account.data))
    if outcome == "paid":
        flash(_("Pembayaran diterima; pesanan dibayar."), "success")
    elif outcome is not None:
        flash(_("Dana dicatat untuk dikembalikan; pesanan ditandai untuk admin."), "error")
    return redirect(url_for("payments.transfer_queue"))


@bp.route("/admin/payments/proofs/<int(max=2147483647):proof_id>/reject", methods=["POST"])
@admin_required
def reject_proof(proof_id):
    """The receipt is wrong: the buyer is told why by email, and the payment stays open until its deadline."""
    form = RejectForm()
    if not form.validate_on_submit():
        abort(400)
    if _on_queue(lambda: proofs.reject(proof_id, current_user, form.reason.data)) is not None:
        flash(_("Bukti ditolak; pembeli diberi tahu lewat email."), "success")
    return redirect(url_for("payments.transfer_queue"))


@bp.route("/admin/payments/statement-lines/<int(max=2147483647):line_id>/match", methods=["POST"])
@admin_required
def match_line(line_id):
    """Match an unmatched statement line to the order whose transfer it paid; it settles like any payment."""
    form = MatchForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = _on_queue(lambda: statement.match_line(line_id, form.order_code.data, current_user))
    if outcome == "paid":
        flash(_("Mutasi dicocokkan; pesanan dibayar."), "success")
    elif outcome is not None:
        flash(_("Jumlahnya tidak cocok: dana dicatat untuk dikembalikan dan pesanan ditandai."), "error")
    return redirect(url_for("payments.transfer_queue"))


def _number(text):
    text = str(text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None


@bp.route("/admin/payments/accounts/<int(max=2147483647):account_id>/layout", methods=["POST"])
@admin_required
def set_layout(account_id):
    """Give an account its bank's statement layout, or (action=generic) put it back on the generic one."""
    form = LayoutForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if request.form.get("action") == "generic":
            statement_layout.clear_layout(account_id)
        else:
            statement_layout.set_layout(
                account_id, *(_number(field.data) for field in (form.skip_rows, form.date_column,
                                                                form.description_column, form.amount_column,
                                                                form.marker_column)),
                form.credit_marker.data, form.debit_marker.data, form.number_style.data)
    except DomainError as error:
        db.session.rollback()
        if db.session.get(ReceivingAccount, account_id) is None:
            abort(404)
        errors = form[error.field].errors if error.field in form else form.form_errors
        errors.append(error.message)
        return _render(status=422, layout_form=form, layout_account=account_id)
    db.session.commit()
    flash(_("Format mutasi disimpan."), "success")
    return redirect(url_for("payments.admin_settings"))
