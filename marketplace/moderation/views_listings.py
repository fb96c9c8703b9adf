"""Admin screens for listings: the review queue, changed listings, one listing's page and its decisions."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..catalogue.models import Product
from ..errors import DomainError, InvalidInput
from ..extensions import db
from . import queries, service
from .forms import BulkApproveForm, ReasonForm
from ..web import page_number, safe_next, show_error
from .views import admin_required, bp, get_or_404


@bp.route("/admin/antrean")
@admin_required
def queue():
    """Pending listings, the longest waiting first."""
    return _render_queue(BulkApproveForm())


def _render_queue(bulk_form, status=200):
    return render_template("moderation/queue.html", pagination=queries.review_queue(page_number()),
                           bulk_form=bulk_form, reason_form=ReasonForm()), status


@bp.route("/admin/antrean/setujui", methods=["POST"])
@admin_required
def bulk_approve():
    """Approve every ticked listing in one go; the ones that cannot be approved are named."""
    form = BulkApproveForm()
    if not form.validate():
        return _render_queue(form, 422)
    try:
        approved, refused = service.approve_products(form.product_ids.data, current_user)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error)
        return _render_queue(form, 422)
    db.session.commit()
    if approved:
        flash(_("%(n)d produk disetujui.", n=len(approved)), "success")
    for product_id, why in refused:
        flash(_("Produk #%(id)d tidak disetujui: %(why)s", id=product_id, why=why), "error")
    return redirect(url_for("moderation.queue"))


@bp.route("/admin/berubah")
@admin_required
def changed():
    """Approved listings whose content was edited, with old beside new."""
    pagination = queries.changed_listings(page_number())
    summaries = {product.id: queries.change_summary(product) for product in pagination.items}
    return render_template("moderation/changed.html", pagination=pagination, summaries=summaries,
                           reason_form=ReasonForm())


@bp.route("/admin/produk/<int:product_id>")
@admin_required
def product(product_id):
    """Everything about one listing: content, changes, reports and every decision."""
    return _render_product(get_or_404(Product, product_id))


def _render_product(product, form=None, problem=None, status=200):
    return render_template("moderation/product.html", product=product, summary=queries.change_summary(product),
                           decisions=queries.decisions_about(product=product),
                           reports=queries.reports_about(product=product), reason_form=form or ReasonForm(),
                           problem=problem), status


def _decide(product, decide, success_message, form=None, back="moderation.queue"):
    """Run one decision, commit, and go back where the admin came from; a refusal shows the listing page."""
    try:
        decide()
    except DomainError as error:
        db.session.rollback()
        if form is not None and isinstance(error, InvalidInput):
            show_error(form, error)
            return _render_product(product, form, status=error.status_code)
        return _render_product(product, form, problem=error.message, status=error.status_code)
    db.session.commit()
    flash(success_message, "success")
    return redirect(safe_next(back))


@bp.route("/admin/produk/<int:product_id>/setujui", methods=["POST"])
@admin_required
def approve(product_id):
    """Publish a pending listing."""
    product = get_or_404(Product, product_id)
    return _decide(product, lambda: service.approve_product(product, current_user),
                   _("Produk \u201c%(title)s\u201d disetujui.", title=product.title))


@bp.route("/admin/produk/<int:product_id>/tolak", methods=["POST"])
@admin_required
def reject(product_id):
    """Send a pending listing back to its producer with a reason."""
    product = get_or_404(Product, product_id)
    form = ReasonForm()
    if not form.validate():
        return _render_product(product, form, status=422)
    return _decide(product, lambda: service.reject_product(
        product, current_user, service.compose_reason(form.reason.data, form.note.data)),
        _("Produk \u201c%(title)s\u201d ditolak; produsennya melihat alasannya.", title=product.title), form)


def _seen():
    """The version of the waiting change the admin's page showed (a missing one matches no change)."""
    return request.args.get("seen", "")[:40]


@bp.route("/admin/produk/<int:product_id>/konfirmasi", methods=["POST"])
@admin_required
def confirm(product_id):
    """Publish the change waiting on an approved listing, as the admin saw it."""
    product = get_or_404(Product, product_id)
    return _decide(product, lambda: service.confirm_change(product, current_user, _seen()),
                   _("Perubahan \u201c%(title)s\u201d dikonfirmasi dan tayang.",
                     title=(product.pending_edit or product).title), back="moderation.changed")


@bp.route("/admin/produk/<int:product_id>/tolak-perubahan", methods=["POST"])
@admin_required
def reject_change(product_id):
    """Refuse the change waiting on an approved listing; the approved version stays public."""
    product = get_or_404(Product, product_id)
    form = ReasonForm()
    if not form.validate():
        return _render_product(product, form, status=422)
    return _decide(product, lambda: service.reject_change(
        product, current_user, service.compose_reason(form.reason.data, form.note.data), _seen()),
        _("Perubahan \u201c%(title)s\u201d ditolak; pembeli tetap melihat versi yang disetujui.",
          title=product.title), form, back="moderation.changed")


@bp.route("/admin/produk/<int:product_id>/turunkan", methods=["POST"])
@admin_required
def unpublish(product_id):
    """Take an approved listing out of the catalogue with a reason."""
    product = get_or_404(Product, product_id)
    form = ReasonForm()
    if not form.validate():
        return _render_product(product, form, status=422)
    return _decide(product, lambda: service.unpublish_product(
        product, current_user, service.compose_reason(form.reason.data, form.note.data)),
        _("Produk \u201c%(title)s\u201d diturunkan dari katalog.", title=product.title), form,
        back="moderation.changed")
