"""What a producer's phone sends when the signal returns: queued listing drafts and order steps.

The phone posts the same fields as the pages' forms (parsed by the same forms, CSRF token included) plus an
idempotency key, and gets JSON back: 401 with the login address when the session ended, 422 with the fields'
messages, 409 when the server's state refuses it (an edit conflict carries the server's listing)."""
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..catalogue import drafts, edits
from ..catalogue import service as catalogue
from ..catalogue.forms import ProductForm
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..media.views_uploads import producer_refusal
from ..orders import queries
from ..orders.queued import QUEUED_ACTIONS, act_once
from . import service
from .forms_orders import ActionForm, ShipForm
from .views import bp


@bp.app_template_global("draft_version")
def draft_version(product):
    """The version a phone's draft of this listing carries back (see catalogue.drafts)."""
    return drafts.version_of(product)


def _invalid(form):
    """422 with every field's messages, as the page would show them."""
    messages = {name: list(errors) for name, errors in form.errors.items()}
    first = next(iter(messages.values()), [_("Periksa isian Anda lalu coba lagi.")])
    return jsonify(error=first[0], fields=messages), 422


def _refused(error):
    db.session.rollback()
    return jsonify(error=error.message, field=error.field), error.status_code


def _listing_answer(product, created, status=200):
    photos = len(edits.shown_to_producer(product).images)
    return jsonify(id=product.id, status=product.status, created=created,
                   edit_url=url_for("shops.edit_product", product_id=product.id),
                   photos=photos, version=drafts.version_of(product)), status


@bp.post("/dashboard/api/listings")
def send_listing():
    """Create a listing from a phone's draft, photos already uploaded, and send it for review: once per key."""
    refused = producer_refusal()
    if refused:
        return refused
    shop = service.shop_of(current_user)
    if shop is None:
        return jsonify(error=_("Buka toko Anda dulu, lalu tambahkan produk.")), 409
    form = ProductForm()
    if not form.validate_on_submit():
        return _invalid(form)
    try:
        product, created = drafts.create_listing_once(
            shop, current_user, request.form.get("idempotency_key"), form.details(),
            request.form.getlist("upload"), form.photo_alt.data or "")
    except DomainError as error:
        return _refused(error)
    db.session.commit()
    return _listing_answer(product, created, 201 if created else 200)


@bp.post("/dashboard/api/listings/<int:product_id>")
def send_listing_edit(product_id):
    """Apply a phone's draft edit of a listing, unless the listing changed since (409 with the server's)."""
    refused = producer_refusal()
    if refused:
        return refused
    try:
        product = catalogue.owned_product(current_user, product_id)
    except NotAllowed as error:
        return jsonify(error=error.message), 404
    form = ProductForm()
    if not form.validate_on_submit():
        return _invalid(form)
    try:
        product, changed = drafts.edit_listing_checked(
            product, current_user, request.form.get("idempotency_key"), form.details(),
            request.form.get("version", ""), request.form.getlist("upload"))
    except drafts.EditConflict as error:
        db.session.rollback()
        return jsonify(error=error.message, conflict=True, server=drafts.listing_fields(error.product)), 409
    except DomainError as error:
        return _refused(error)
    db.session.commit()
    return _listing_answer(product, changed)


@bp.post("/dashboard/api/orders/<int(max=2147483647):shop_order_id>/<action>")
def send_order_step(shop_order_id, action):
    """Accept or ship an order as queued on the phone; once per key, still by the order's state machine."""
    refused = producer_refusal()
    if refused:
        return refused
    part = queries.producer_shop_order(current_user, shop_order_id)
    if part is None or action not in QUEUED_ACTIONS:
        return jsonify(error=_("Pesanan tidak ditemukan.")), 404
    form = ShipForm() if action == "ship" else ActionForm()
    if not form.validate_on_submit():
        return _invalid(form)
    shipping = (form.courier.data, form.tracking_number.data, form.courier_other.data) if action == "ship" else ()
    try:
        acted = act_once(part, current_user, request.form.get("idempotency_key"), action, *shipping)
    except DomainError as error:
        db.session.rollback()
        db.session.refresh(part)
        return jsonify(error=error.message, state=part.state, order=part.order.code), error.status_code
    db.session.commit()
    return jsonify(state=part.state, acted=acted, order=part.order.code)
