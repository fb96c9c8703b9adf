"""Admin screens for shops: find them, suspend and reinstate, trust or not."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..shops.models import Shop
from . import queries, service
from .forms import ReinstateForm, ShopSearchForm, SuspendForm
from ..web import show_error
from .views import admin_required, bp, get_or_404


@bp.route("/admin/toko")
@admin_required
def shops():
    """Shops by name, searchable by name, address or district."""
    form = ShopSearchForm(request.args)
    if not form.validate():
        return render_template("moderation/shops.html", form=form, pagination=None), 422
    pagination = queries.find_shops(form.q.data, form.status.data, form.page.data or 1)
    filters = {name: request.args[name] for name in ("q", "status") if request.args.get(name)}
    return render_template("moderation/shops.html", form=form, pagination=pagination, filters=filters)


@bp.route("/admin/toko/<int:shop_id>")
@admin_required
def shop(shop_id):
    """One shop: its state, listings, reports and decisions."""
    return _render_shop(get_or_404(Shop, shop_id))


def _render_shop(shop, suspend_form=None, reinstate_form=None, problem=None, status=200):
    return render_template("moderation/shop.html", shop=shop, counts=queries.listing_counts(shop),
                           decisions=queries.decisions_about(shop=shop), reports=queries.reports_about(shop=shop),
                           suspend_form=suspend_form or SuspendForm(), reinstate_form=reinstate_form or ReinstateForm(),
                           problem=problem), status


def _decide(shop, decide, success_message, form=None, form_name="suspend_form"):
    """Run one decision about the shop and commit; a refusal shows the shop page with the reason."""
    try:
        decide()
    except DomainError as error:
        db.session.rollback()
        if form is not None and isinstance(error, InvalidInput):
            show_error(form, error)
            return _render_shop(shop, status=error.status_code, **{form_name: form})
        return _render_shop(shop, problem=error.message, status=error.status_code, **{form_name: form})
    db.session.commit()
    flash(success_message, "success")
    return redirect(url_for("moderation.shop", shop_id=shop.id))


@bp.route("/admin/toko/<int:shop_id>/bekukan", methods=["POST"])
@admin_required
def suspend(shop_id):
    """Suspend a shop: all its listings leave the catalogue at once."""
    shop = get_or_404(Shop, shop_id)
    form = SuspendForm()
    if not form.validate():
        return _render_shop(shop, suspend_form=form, status=422)
    return _decide(shop, lambda: service.suspend_shop(shop, current_user, form.reason.data),
                   _("Toko \u201c%(name)s\u201d dibekukan.", name=shop.name), form)


@bp.route("/admin/toko/<int:shop_id>/pulihkan", methods=["POST"])
@admin_required
def reinstate(shop_id):
    """Bring a suspended shop back."""
    shop = get_or_404(Shop, shop_id)
    form = ReinstateForm()
    if not form.validate():
        return _render_shop(shop, reinstate_form=form, status=422)
    return _decide(shop, lambda: service.reinstate_shop(shop, current_user, form.note.data),
                   _("Toko \u201c%(name)s\u201d dipulihkan.", name=shop.name), form, "reinstate_form")


@bp.route("/admin/toko/<int:shop_id>/percayai", methods=["POST"])
@admin_required
def trust(shop_id):
    """Mark a shop trusted: its new listings are approved on submission."""
    shop = get_or_404(Shop, shop_id)
    return _decide(shop, lambda: service.set_trusted(shop, current_user, True),
                   _("Toko \u201c%(name)s\u201d ditandai tepercaya.", name=shop.name))


@bp.route("/admin/toko/<int:shop_id>/cabut-tepercaya", methods=["POST"])
@admin_required
def untrust(shop_id):
    """Take the trusted mark away: new listings wait for review again."""
    shop = get_or_404(Shop, shop_id)
    return _decide(shop, lambda: service.set_trusted(shop, current_user, False),
                   _("Tanda tepercaya toko \u201c%(name)s\u201d dicabut.", name=shop.name))
