"""Reports: any visitor files one from a listing's or shop's page; admins resolve them in groups."""
import hashlib
import hmac
import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..catalogue.models import Product
from ..errors import DomainError, InvalidInput
from ..extensions import db, limiter
from ..shops.models import Shop
from ..shops.service import get_shop_by_slug
from . import queries, service
from .forms import ReportForm, ResolveReportsForm
from ..web import show_error
from .views import admin_required, bp, get_or_404

SLUG = re.compile(r"[a-z0-9-]{1,80}")
REPORTS_PER_HOUR = "5 per hour"
# Refused forms do not count towards the five, but a flood of them is still cut off.
REPORT_POSTS_PER_HOUR = "30 per hour"


def _filed(response):
    return response.status_code == 302


def address_hash():
    """The sender's address as a keyed hash: repeats can be spotted, the address itself is not kept."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (get_remote_address() or "").encode(), hashlib.sha256).hexdigest()


def _page_of(product=None, shop=None):
    if product is not None:
        return url_for("catalogue.product", shop_slug=product.shop.slug, product_slug=product.slug)
    return url_for("catalogue.shop", shop_slug=shop.slug)


def _file(form, target_page, **target):
    """Validate, file the report, commit and go back to the page; a refusal shows the form again."""
    if not form.validate_on_submit():
        return target_page(form, 422 if request.method == "POST" else 200)
    try:
        service.file_report(reason=form.reason.data, text=form.text.data or "", address_hash=address_hash(),
                            reporter=current_user if current_user.is_authenticated else None, **target)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return target_page(form, error.status_code)
    db.session.commit()
    flash(_("Terima kasih. Laporan Anda sudah kami terima dan akan diperiksa admin."), "success")
    return redirect(_page_of(**target))


@bp.route("/lapor/produk/<int:product_id>", methods=["GET", "POST"])
@limiter.shared_limit(REPORTS_PER_HOUR, scope="report", methods=["POST"], deduct_when=_filed)
@limiter.shared_limit(REPORT_POSTS_PER_HOUR, scope="report-posts", methods=["POST"])
def report_product(product_id):
    """Report a public listing (no login needed)."""
    product = db.session.get(Product, product_id) if product_id < 2**31 else None
    if product is None or not product.is_public:
        abort(404)
    page = lambda form, status: (render_template("moderation/report_form.html", form=form,  # noqa: E731
                                                 product=product, shop=product.shop,
                                                 back=_page_of(product=product)), status)
    return _file(ReportForm(), page, product=product)


@bp.route("/lapor/toko/<slug>", methods=["GET", "POST"])
@limiter.shared_limit(REPORTS_PER_HOUR, scope="report", methods=["POST"], deduct_when=_filed)
@limiter.shared_limit(REPORT_POSTS_PER_HOUR, scope="report-posts", methods=["POST"])
def report_shop(slug):
    """Report an active shop (no login needed)."""
    shop = get_shop_by_slug(slug) if SLUG.fullmatch(slug) else None
    if shop is None or not shop.is_active:
        abort(404)
    page = lambda form, status: (render_template("moderation/report_form.html", form=form,  # noqa: E731
                                                 product=None, shop=shop, back=_page_of(shop=shop)), status)
    return _file(ReportForm(), page, shop=shop)


@bp.route("/admin/laporan")
@admin_required
def reports():
    """Open reports grouped by listing or shop."""
    return _render_reports()


def _render_reports(form=None, failed_key=None, status=200):
    return render_template("moderation/reports.html", groups=queries.open_report_groups(),
                           form=form, blank_form=ResolveReportsForm(formdata=None), failed_key=failed_key), status


def _resolve(key, **target):
    form = ResolveReportsForm()
    if not form.validate():
        return _render_reports(form, key, 422)
    reason = form.note.data or ""
    try:
        if form.action.data == "unpublish":
            reason = service.compose_reason(form.reason.data or "", reason)
        service.resolve_reports(current_user, form.action.data, reason=reason, **target)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, InvalidInput):
            show_error(form, error)
        else:
            form.form_errors.append(error.message)
        return _render_reports(form, key, error.status_code)
    db.session.commit()
    flash(_("Laporan diselesaikan."), "success")
    return redirect(url_for("moderation.reports"))


@bp.route("/admin/laporan/produk/<int:product_id>", methods=["POST"])
@admin_required
def resolve_product_reports(product_id):
    """Settle the open reports about a listing: dismiss, unpublish the listing, or suspend its shop."""
    product = get_or_404(Product, product_id)
    return _resolve(f"product-{product.id}", product=product)


@bp.route("/admin/laporan/toko/<int:shop_id>", methods=["POST"])
@admin_required
def resolve_shop_reports(shop_id):
    """Settle the open reports about a shop: dismiss them or suspend the shop."""
    shop = get_or_404(Shop, shop_id)
    return _resolve(f"shop-{shop.id}", shop=shop)
