"""Admins' money pages: the finance overview, bank accounts to check, and payout batches."""
import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts.decorators import role_required
from ..errors import DomainError
from ..extensions import db
from ..web import show_error
from . import payouts, queries
from .forms import ActionForm, BatchForm, FailedForm, PaidForm, RejectForm
from .models import LedgerAccount
from .models_payouts import Payout, PayoutBatch
from .views import bp

admin_required = role_required("admin")
MAX_ID = 2**31 - 1


def _get_or_404(model, ident):
    row = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _held_choices():
    codes = db.session.scalars(select(LedgerAccount.code).where(LedgerAccount.kind == "held")
                               .order_by(LedgerAccount.code)).all()
    names = queries.held_names()
    return [(code, queries.held_label(code, names)) for code in codes]


@bp.route("/admin/keuangan")
@admin_required
def finance():
    """Money held per account, owed to producers and buyers, income by month."""
    names = queries.held_names()
    held = [(queries.held_label(code, names), amount) for code, amount in queries.held_balances()]
    return render_template("ledger/finance.html", totals=queries.totals_by_kind(), held=held,
                           months=queries.income_by_month())


@bp.route("/admin/keuangan/rekening")
@admin_required
def bank_accounts():
    """Producers' bank accounts waiting for a check of the holder's name."""
    return render_template("ledger/bank_accounts.html", accounts=queries.accounts_to_review(),
                           action_form=ActionForm(), reject_form=RejectForm())


@bp.route("/admin/keuangan/rekening/<int:account_id>/<any(setujui, tolak):decision>", methods=["POST"])
@admin_required
def review_bank_account(account_id, decision):
    """Verify or reject one bank account."""
    form = RejectForm() if decision == "tolak" else ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        payouts.review_bank_account(account_id, current_user, decision == "setujui",
                                    getattr(form, "note", None) and form.note.data or "")
        db.session.commit()
        flash(_("Rekening diperiksa."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("ledger.bank_accounts"))


@bp.route("/admin/keuangan/pencairan", methods=["GET", "POST"])
@admin_required
def batches():
    """Payout batches, and a button to create the next one."""
    form = BatchForm()
    form.source.choices = _held_choices()
    if form.validate_on_submit():
        try:
            batch = payouts.create_batch(current_user, form.source.data or "")
            db.session.commit()
        except (DomainError, ValueError) as error:
            db.session.rollback()
            show_error(form, error if isinstance(error, DomainError) else DomainError(_("Pilih rekening sumber.")))
        else:
            if batch is None:
                flash(_("Tidak ada toko yang saldonya siap dicairkan."), "info")
                return redirect(url_for("ledger.batches"))
            return redirect(url_for("ledger.batch", batch_id=batch.id))
    return render_template("ledger/batches.html", form=form, batches=queries.batches(),
                           payable=payouts.payable()), 422 if form.errors or form.form_errors else 200


@bp.route("/admin/keuangan/pencairan/<int:batch_id>")
@admin_required
def batch(batch_id):
    """One batch: each shop's payout, with the buttons to record the bank's answer."""
    return render_template("ledger/batch.html", batch=_get_or_404(PayoutBatch, batch_id), paid_form=PaidForm(),
                           failed_form=FailedForm())


@bp.route("/admin/keuangan/pencairan/<int:batch_id>.csv")
@admin_required
def batch_csv(batch_id):
    """The batch for the bank's bulk transfer: bank code, account number, holder name, amount, reference."""
    batch = _get_or_404(PayoutBatch, batch_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["bank_code", "account_number", "holder_name", "amount", "reference"])
    for payout in batch.payouts:
        account = payout.bank_account
        writer.writerow([account.bank_code, account.account_number, account.holder_name, payout.amount_idr,
                         payout.reference])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="pencairan-{batch.id}.csv"'})


@bp.route("/admin/keuangan/pembayaran/<int:payout_id>/<any(berhasil, gagal):outcome>", methods=["POST"])
@admin_required
def settle_payout(payout_id, outcome):
    """Record the bank's answer for one payout."""
    payout = _get_or_404(Payout, payout_id)
    form = PaidForm() if outcome == "berhasil" else FailedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if outcome == "berhasil":
            payouts.mark_paid(payout.id, form.bank_reference.data)
        else:
            payouts.mark_failed(payout.id, form.reason.data)
        db.session.commit()
        flash(_("Pencairan dicatat."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("ledger.batch", batch_id=payout.batch_id))
