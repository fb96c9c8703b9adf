"""The search page's filter form: rendering only; service.parse_params validates the same arguments
for the page and the JSON API alike."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SearchField, SelectChoice, SelectField, StringField

from .. import regions
from ..forms import Form

SORT_LABELS = {"relevance": _l("Paling sesuai"), "newest": _l("Terbaru"), "price_asc": _l("Harga terendah"),
               "price_desc": _l("Harga tertinggi")}


class SearchForm(Form):
    """What a buyer can narrow a search by (GET: nothing to protect with CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Kata kunci"), render_kw={"maxlength": 200, "autocomplete": "off"})
    category = SelectField(_l("Kategori"))
    district = SelectField(_l("Kecamatan"))
    min_price = StringField(_l("Harga dari (Rp)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    max_price = StringField(_l("Harga sampai (Rp)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    in_stock = BooleanField(_l("Hanya yang tersedia"), render_kw={"value": "1"})
    sort = SelectField(_l("Urutkan"), choices=[SelectChoice(key, label) for key, label in SORT_LABELS.items()])

    def offer(self, categories_tree, locale):
        """Fill the category and district choices."""
        choices = [SelectChoice("", _l("Semua kategori"))]
        for top, children in categories_tree:
            choices.append(SelectChoice(top.slug, top.display_name(locale)))
            choices += [SelectChoice(child.slug, "— " + child.display_name(locale)) for child in children]
        self.category.choices = choices
        self.district.choices = [SelectChoice("", _l("Semua kecamatan"))] + [
            SelectChoice(code, name) for code, name in regions.home_districts()]


def search_form(params, categories_tree, locale):
    """The filter form showing the current search."""
    form = SearchForm(formdata=None, data={
        "q": params.q, "category": params.category or "", "district": params.district or "",
        "min_price": "" if params.min_price is None else f"{params.min_price:,}".replace(",", "."),
        "max_price": "" if params.max_price is None else f"{params.max_price:,}".replace(",", "."),
        "in_stock": params.in_stock, "sort": params.sort})
    form.offer(categories_tree, locale)
    return form
