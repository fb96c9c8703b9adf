"""Producer dashboard: the shop profile, listings, photos and stock. Every route is the producer's own."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.decorators import role_required
from ..catalogue import edits
from ..catalogue import service as catalogue
from ..catalogue.forms import PhotoAltForm, ProductForm, StockForm
from ..catalogue.models import MAX_PHOTOS
from ..errors import DomainError, InvalidInput, NotAllowed
from ..extensions import db
from ..database import release_transaction
from ..media import quota, uploads
from ..media.storage import get_storage
from ..text import slugify
from ..web import show_error
from . import service
from .forms import ShopForm

bp = Blueprint("shops", __name__)


def _own_product(product_id):
    """The current producer's listing; anybody else's, or none, is 404."""
    try:
        return catalogue.owned_product(current_user, product_id)
    except NotAllowed:
        abort(404)


def _own_photo(product, image_id):
    """The id of one of the listing's photos; any other id is 404."""
    if catalogue.photo_of(product, image_id) is None:
        abort(404)
    return image_id


def _save_with_photos(form, uploads, room, check, save, photo_field="photo"):
    """check() the typed fields, process the photos, save(photos) and commit: all of it, or nothing at all.

    Photos are processed with no transaction open: on SQLite a POST holds the write lock from its first query,
    and seconds of decoding under it made every buyer's add-to-cart wait. A refusal leaves no row and no file
    behind and is shown on the form; the typed values stay in it."""
    batch = None
    try:
        check()  # typed mistakes first: no photo work for a form that will be refused anyway
        if uploads:
            quota.charge_photos(current_user.id, len(uploads))
            release_transaction(db.session)
        batch = catalogue.process_photos(uploads, get_storage(), room)
        result = save(batch.images)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        if batch is not None:
            batch.discard()
        if error.field == "photo":
            error.field = photo_field
        show_error(form, error)
        return None
    except BaseException:
        if batch is not None:
            batch.discard()
        raise
    return result


@bp.route("/dashboard")
@role_required("producer")
def dashboard():
    """The producer's shop and listings at a glance."""
    return _render_dashboard(service.shop_of(current_user))


def _render_dashboard(shop, stock_errors=None, status=200):
    products = catalogue.products_of(shop) if shop else []
    return render_template("shops/dashboard.html", shop=shop, products=products, low_stock=catalogue.LOW_STOCK,
                           stock_errors=stock_errors or {}), status


@bp.route("/dashboard/shop", methods=["GET", "POST"])
@role_required("producer")
def edit_shop():
    """Open the shop, or edit its profile and logo."""
    shop = service.shop_of(current_user)
    form = ShopForm(obj=shop)
    if request.method == "POST" and request.form.get("action") == "villages":
        # Without JavaScript, choosing a district reloads the form with its villages, keeping what was typed.
        _keep_logo(form)
        return _render_shop_form(form, shop, reloaded=True)
    if form.validate_on_submit():
        upload = form.logo_upload()
        saved = _save_with_photos(form, [upload] if upload else [], 1,
                                  lambda: service.validate_details(form.details(), shop),
                                  lambda logos: _save_shop(shop, form, logos), photo_field="logo")
        if saved is not None:
            flash(_("Profil toko sudah disimpan.") if shop else _("Toko Anda sudah dibuka."), "success")
            return redirect(url_for("shops.dashboard"))
    if request.method == "GET":
        return _render_shop_form(form, shop)
    _keep_logo(form)
    return _render_shop_form(form, shop, status=422)


def _keep_logo(form):
    """A refused form keeps the logo chosen: processed now and kept as a finished upload whose token the form
    carries, so the producer need not pick it (and send it over a weak signal) again."""
    upload = form.logo_upload()
    if upload is None or form.logo.errors:
        return  # nothing chosen, or the logo itself was refused
    try:
        upload.stream.seek(0)  # the pipeline may have read it before another refusal
        quota.charge_photos(current_user.id, 1)
        db.session.rollback()  # the refused form wrote nothing; no transaction stays open while decoding
        batch = catalogue.process_photos([upload], get_storage(), 1)
        form.logo_token.data = uploads.keep_processed(current_user, batch.images[0]).token
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        form.logo_token.data = ""
        show_error(form, DomainError(error.message, field="logo"))


def _pending_logo(form):
    """The finished upload the form's logo_token names, or None (no token, or not this producer's)."""
    try:
        upload = uploads.find_upload(current_user, form.logo_token.data) if form.logo_token.data else None
    except InvalidInput:
        upload = None
    if upload is None or not upload.is_done:
        form.logo_token.data = ""
        return None
    return upload


def _render_shop_form(form, shop, status=200, **context):
    preview_slug = slugify(form.slug.data or "", 80) or slugify(form.name.data or "", 80)
    return render_template("shops/shop_form.html", form=form, shop=shop, preview_slug=preview_slug,
                           pending_logo=_pending_logo(form), **context), status


def _save_shop(shop, form, logos):
    """Open or update the shop; its logo is the file just sent, else the one kept from a refused submission."""
    shop = service.update_shop(shop, form.details()) if shop else service.open_shop(current_user, form.details())
    if not logos and form.logo_token.data:
        logos = uploads.take_finished(current_user, [form.logo_token.data])
    for stored in logos:
        service.set_logo(shop, stored)
    return shop


@bp.route("/dashboard/products/new", methods=["GET", "POST"])
@role_required("producer")
def new_product():
    """Create a draft listing, photos included."""
    shop = service.shop_of(current_user)
    if shop is None:
        flash(_("Buka toko Anda dulu, lalu tambahkan produk."), "info")
        return redirect(url_for("shops.edit_shop"))
    form = ProductForm()
    if form.validate_on_submit():
        product = _save_with_photos(form, form.uploads(), MAX_PHOTOS,
                                    lambda: catalogue.validate_details(form.details()),
                                    lambda photos: _create_product(shop, form, photos))
        if product is not None:
            flash(_("Draf produk sudah disimpan. Ajukan untuk ditinjau bila sudah lengkap."), "success")
            return redirect(url_for("shops.edit_product", product_id=product.id))
    status = 200 if request.method == "GET" else 422
    return render_template("shops/product_form.html", form=form, product=None, max_photos=MAX_PHOTOS), status


def _create_product(shop, form, photos):
    product = catalogue.create_product(shop, form.details())
    _attach(product, photos, form.photo_alt.data)
    return product


def _attach(product, photos, alt_text):
    for stored in photos:
        catalogue.add_photo(product, stored, alt_text or "")


@bp.route("/dashboard/products/<int:product_id>/edit", methods=["GET", "POST"])
@role_required("producer")
def edit_product(product_id):
    """Edit a listing and add photos; the gallery below orders, describes and removes them."""
    product = _own_product(product_id)
    catalogue.require_editable(product)
    # The producer edits what they last wrote: their change awaiting review, if any, else the listing.
    form = ProductForm(obj=edits.shown_to_producer(product))
    if form.validate_on_submit():
        saved = _save_with_photos(form, form.uploads(), catalogue.photo_room(product),
                                  lambda: catalogue.validate_details(form.details()),
                                  lambda photos: _update_product(product, form, photos))
        if saved is not None:
            flash(_("Perubahan produk sudah disimpan."), "success")
            return redirect(url_for("shops.edit_product", product_id=product.id))
    status = 200 if request.method == "GET" else 422
    return render_template("shops/product_form.html", form=form, product=product,
                           max_photos=MAX_PHOTOS), status


def _update_product(product, form, photos):
    catalogue.update_product(product, form.details(), stock_seen=form.seen())
    _attach(product, photos, form.photo_alt.data)
    return product


@bp.post("/dashboard/products/<int:product_id>/submit")
@role_required("producer")
def submit_product(product_id):
    """Send a draft or rejected listing for review."""
    product = _own_product(product_id)
    catalogue.submit_product(product)
    db.session.commit()
    if product.status == "approved":
        flash(_("“%(title)s” langsung tayang: toko Anda tepercaya.", title=product.title), "success")
    else:
        flash(_("“%(title)s” diajukan dan menunggu tinjauan admin.", title=product.title), "success")
    return redirect(url_for("shops.dashboard"))


@bp.post("/dashboard/products/<int:product_id>/archive")
@role_required("producer")
def archive_product(product_id):
    """Take a listing out of the catalogue; its order history stays."""
    product = _own_product(product_id)
    catalogue.archive_product(product)
    db.session.commit()
    flash(_("“%(title)s” sudah diarsipkan.", title=product.title), "success")
    return redirect(url_for("shops.dashboard"))


@bp.post("/dashboard/products/<int:product_id>/stock")
@role_required("producer")
def set_stock(product_id):
    """The dashboard's quick restock; applies at once, even to an approved listing."""
    product = _own_product(product_id)
    form = StockForm()
    if form.validate_on_submit():
        try:
            catalogue.set_stock(product, form.stock.data, stock_seen=form.seen())
        except InvalidInput as error:
            form.stock.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Stok “%(title)s” sekarang %(n)d.", title=product.title, n=product.stock), "success")
            return redirect(url_for("shops.dashboard"))
    db.session.rollback()
    return _render_dashboard(product.shop, {product.id: (request.form.get("stock", ""), form.stock.errors)}, 422)


@bp.post("/dashboard/products/<int:product_id>/photos/<int:image_id>/<any(earlier, later):direction>")
@role_required("producer")
def move_photo(product_id, image_id, direction):
    """Move a photo one place; the first photo is the cover."""
    product = _own_product(product_id)
    catalogue.move_photo(product, _own_photo(product, image_id), -1 if direction == "earlier" else 1)
    db.session.commit()
    return redirect(url_for("shops.edit_product", product_id=product.id, _anchor="photos"))


@bp.post("/dashboard/products/<int:product_id>/photos/<int:image_id>/delete")
@role_required("producer")
def remove_photo(product_id, image_id):
    """Remove a photo from the listing."""
    product = _own_product(product_id)
    catalogue.remove_photo(product, _own_photo(product, image_id))
    db.session.commit()
    flash(_("Foto sudah dihapus."), "success")
    return redirect(url_for("shops.edit_product", product_id=product.id, _anchor="photos"))


@bp.post("/dashboard/products/<int:product_id>/photos/<int:image_id>/alt")
@role_required("producer")
def describe_photo(product_id, image_id):
    """Change what a photo's alt text says."""
    product = _own_product(product_id)
    image_id = _own_photo(product, image_id)
    form = PhotoAltForm()
    if not form.validate_on_submit():
        raise InvalidInput(" ".join(form.alt_text.errors) or _("Keterangan foto tidak dapat disimpan."))
    catalogue.set_photo_alt(product, image_id, form.alt_text.data or "")
    db.session.commit()
    flash(_("Keterangan foto sudah disimpan."), "success")
    return redirect(url_for("shops.edit_product", product_id=product.id, _anchor="photos"))

from . import views_orders  # noqa: E402,F401  (the producer's order routes live on this blueprint)
from . import views_offline  # noqa: E402,F401  (what a phone sends when the signal returns)
