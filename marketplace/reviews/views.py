"""Writing, answering and hiding reviews. Every form is a plain POST with CSRF, one commit and a redirect;
a refusal shows the page again with the reason and changes nothing."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.decorators import role_required
from ..errors import DomainError
from ..extensions import db
from ..shops.service import shop_of
from ..web import page_number, show_error
from . import queries, service
from .forms import AdminFilterForm, HideForm, ReplyForm, ReviewForm

bp = Blueprint("reviews", __name__)
_ID = "int(max=2147483647)"


@bp.app_template_filter("reviewer_name")
def reviewer_name(name):
    """A reviewer's name as the public sees it ('Rina W.')."""
    return service.public_name(name)


@bp.route(f"/orders/<code>/items/<{_ID}:item_id>/review", methods=["GET", "POST"])
@login_required
def write(code, item_id):
    """The buyer rates an item of their own completed order; anybody else's item is 404."""
    item = queries.buyer_item(current_user, code, item_id)
    if item is None:
        abort(404)
    form = ReviewForm()
    if request.method == "POST" and form.validate():
        try:
            service.write_review(current_user, item, form.rating.data, form.body.data or "")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            return _render_write(code, item, form, error.status_code)
        db.session.commit()
        flash(_("Terima kasih! Ulasan Anda sudah tampil di halaman produk."), "success")
        return redirect(url_for("orders.order_page", code=code))
    return _render_write(code, item, form, 422 if form.errors else 200)


def _render_write(code, item, form, status):
    problem, existing = None, queries.review_of(current_user, item.product_id)
    if existing is None and not form.form_errors:
        try:
            service.check_reviewable(current_user, item)
        except DomainError as error:
            problem = error.message
            status = error.status_code if status == 200 else status
    return render_template("reviews/write.html", code=code, item=item, form=form, existing=existing,
                           problem=problem), status


@bp.route("/dashboard/reviews")
@role_required("producer")
def producer_reviews():
    """The reviews of the producer's shop, each with a reply form until answered."""
    return _render_producer(ReplyForm())


def _render_producer(form, failed_id=None, status=200):
    shop = shop_of(current_user)
    pagination = queries.shop_reviews(shop, page_number()) if shop is not None else None
    rating = service.shop_rating_summary(shop.id) if shop is not None else (None, 0)
    return render_template("reviews/producer_reviews.html", shop=shop, pagination=pagination, rating=rating,
                           form=form, failed_id=failed_id), status


@bp.post(f"/dashboard/reviews/<{_ID}:review_id>/reply")
@role_required("producer")
def reply(review_id):
    """The producer answers a review of their own shop, once; another shop's review is 404."""
    review = queries.producer_review(current_user, review_id)
    if review is None:
        abort(404)
    form = ReplyForm()
    if not form.validate():
        return _render_producer(form, review.id, 422)
    try:
        service.reply(current_user, review, form.text.data)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_producer(form, review_id, error.status_code)
    db.session.commit()
    flash(_("Balasan Anda sudah tampil di bawah ulasan."), "success")
    return redirect(url_for("reviews.producer_reviews", _anchor=f"review-{review_id}"))


@bp.route("/admin/reviews")
@role_required("admin")
def admin_reviews():
    """Every review, newest first, filterable by hidden or visible, each visible one with a hide form."""
    return _render_admin(HideForm())


def _render_admin(hide_form, failed_id=None, status=200):
    form = AdminFilterForm(request.args)
    if not form.validate():
        return render_template("reviews/admin_reviews.html", form=form, pagination=None, hide_form=hide_form,
                               failed_id=failed_id, filters={}), 422
    pagination = queries.all_reviews(form.status.data or "", form.page.data or 1)
    filters = {"status": form.status.data} if form.status.data else {}
    return render_template("reviews/admin_reviews.html", form=form, pagination=pagination, hide_form=hide_form,
                           failed_id=failed_id, filters=filters), status


@bp.post(f"/admin/reviews/<{_ID}:review_id>/hide")
@role_required("admin")
def hide(review_id):
    """An admin hides a review with the reason; the decision goes into the audit log."""
    review = queries.get_review(review_id)
    if review is None:
        abort(404)
    form = HideForm()
    if not form.validate():
        return _render_admin(form, review.id, 422)
    try:
        service.hide_review(current_user, review, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_admin(form, review_id, error.status_code)
    db.session.commit()
    flash(_("Ulasan disembunyikan dan dicatat di log audit."), "success")
    return redirect(url_for("reviews.admin_reviews", _anchor=f"review-{review_id}"))
