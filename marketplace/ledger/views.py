"""The producer's balance ("Saldo"): what is pending and available, every line, payouts, the bank account,
and a monthly statement as CSV or a printable page. Admin pages attach from views_admin.py."""
import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.decorators import role_required
from ..errors import InvalidInput
from ..extensions import db
from ..shops.service import shop_of
from ..web import show_error
from . import payouts, queries, service
from .forms import BankAccountForm

bp = Blueprint("ledger", __name__)
producer_required = role_required("producer")


def entry_label(kind):
    """What an entry means to a producer, in their language."""
    labels = {"payment_settled": _("Pesanan dibayar"), "shop_order_cancelled": _("Pesanan dibatalkan"),
              "earnings_released": _("Pesanan selesai, saldo tersedia"), "cash_commission": _("Biaya layanan penjualan tunai"),
              "payout_sent": _("Pencairan dikirim ke bank"), "payout_failed": _("Pencairan gagal, saldo kembali"),
              "payout_paid": _("Pencairan berhasil")}
    return labels.get(kind, kind)


@bp.app_template_filter("entry_label")
def _entry_label_filter(kind):
    return entry_label(kind)


def _my_shop():
    shop = shop_of(current_user)
    if shop is None:
        abort(404)
    return shop


@bp.route("/dashboard/saldo")
@producer_required
def balance():
    """Pending and available balance, the latest lines, payouts and the bank account."""
    shop = _my_shop()
    return render_template("ledger/balance.html", shop=shop, balances=service.shop_balances(shop.id),
                           lines=queries.shop_statement(shop.id, limit=50), payouts=queries.shop_payouts(shop.id),
                           account=payouts.current_account(shop.id), months=_recent_months())


@bp.route("/dashboard/saldo/rekening", methods=["GET", "POST"])
@producer_required
def bank_account():
    """Set or change the bank account payouts go to."""
    shop = _my_shop()
    current = payouts.current_account(shop.id)
    form = BankAccountForm(obj=current if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            payouts.set_bank_account(shop, payouts.BankAccountDetails(
                form.bank_code.data or "", form.account_number.data or "", form.holder_name.data or ""))
            db.session.commit()
            flash(_("Rekening disimpan. Admin akan memeriksanya; pencairan ke rekening baru dimulai 48 jam lagi."),
                  "success")
            return redirect(url_for("ledger.balance"))
        except InvalidInput as error:
            db.session.rollback()
            show_error(form, error)
    status = 422 if request.method == "POST" else 200
    return render_template("ledger/bank_account.html", form=form, current=current), status


def _month(value):
    """(year, month) of 'YYYY-MM' within sensible years, or 404."""
    try:
        moment = datetime.strptime(value, "%Y-%m") if re.fullmatch(r"\d{4}-\d{2}", value) else None
    except ValueError:
        moment = None
    if moment is None:
        abort(404)
    if not 2020 <= moment.year <= 2100:
        abort(404)
    return moment.year, moment.month


def _statement(shop, year, month):
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return queries.shop_statement(shop.id, start, end, limit=None)


@bp.route("/dashboard/saldo/<month>")
@producer_required
def statement(month):
    """A month's statement as a printable page (WITA months)."""
    shop = _my_shop()
    year, number = _month(month)
    lines = _statement(shop, year, number)
    return render_template("ledger/statement.html", shop=shop, lines=lines, month=datetime(year, number, 1),
                           total=sum(amount for _entry, _kind, amount in lines))


@bp.route("/dashboard/saldo/<month>.csv")
@producer_required
def statement_csv(month):
    """A month's statement as CSV, for a spreadsheet."""
    shop = _my_shop()
    year, number = _month(month)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Waktu (WITA)"), _("Keterangan"), _("Pesanan"), _("Saldo"), _("Jumlah (Rp)")])
    for entry, kind, amount in reversed(_statement(shop, year, number)):
        writer.writerow([format_datetime(entry.created_at, "yyyy-MM-dd HH:mm"), entry_label(entry.kind),
                         _inert(entry.memo), _account_label(kind), amount])
    filename = f"saldo-{shop.slug}-{year}-{number:02d}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _inert(text):
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _account_label(kind):
    return {"shop_pending": _("Tertahan"), "shop_available": _("Tersedia"),
            "shop_commission_owed": _("Biaya layanan terutang")}.get(kind, kind)


@bp.app_template_filter("account_label")
def _account_label_filter(kind):
    return _account_label(kind)


def _recent_months(count=6):
    """The last months as 'YYYY-MM', newest first (WITA)."""
    now = datetime.now(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))
    months, year, month = [], now.year, now.month
    for _index in range(count):
        months.append(f"{year}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


from . import views_admin  # noqa: E402,F401  (attaches the admin routes to bp)
