"""The search page's filter form: rendering only; service.parse_params validates the same arguments
for the page and the JSON API alike.

The form is drawn on every search, and WTForms' widgets spent about a quarter of the page's time on it
(the 41 <option>s above all). A field's HTML depends only on the language, its name, value, choices and
attributes, so each is rendered once per such combination and kept (a bounded cache per process); the
category and district choices are built once per language and category tree.
"""
from functools import lru_cache

from flask_babel import get_locale
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

        def render_field(self, field, render_kw):
            """The field's HTML, from the cache when it was drawn the same way before."""
            try:
                key = (str(get_locale()), field.name, field.id, field.data, _choices_key(field),
                       tuple(sorted(render_kw.items())))
                hash(key)
            except TypeError:  # an unhashable value or attribute: draw it afresh
                return super().render_field(field, render_kw)
            html = _RENDERED.get(key)
            if html is None:
                if len(_RENDERED) >= MAX_RENDERED:
                    _RENDERED.clear()
                html = _RENDERED[key] = super().render_field(field, render_kw)
            return html

    q = SearchField(_l("Kata kunci"), render_kw={"maxlength": 200, "autocomplete": "off"})
    category = SelectField(_l("Kategori"))
    district = SelectField(_l("Kecamatan"))
    min_price = StringField(_l("Harga dari (Rp)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    max_price = StringField(_l("Harga sampai (Rp)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    in_stock = BooleanField(_l("Hanya yang tersedia"), render_kw={"value": "1"})
    sort = SelectField(_l("Urutkan"), choices=[SelectChoice(key, label) for key, label in SORT_LABELS.items()])

    def offer(self, categories_tree, locale):
        """Fill the category and district choices."""
        tree = tuple((top, tuple(children)) for top, children in categories_tree)
        self.category.choices, self.district.choices = _choices(str(locale), tree)


# Drawn fields by (language, name, id, value, choices, attributes); a search's words make the keys of the
# keyword field unbounded, so the cache is emptied when full rather than grown.
_RENDERED = {}
MAX_RENDERED = 2000


def _choices_key(field):
    choices = getattr(field, "choices", None)
    return tuple((choice.value, str(choice.label)) for choice in choices) if choices else None


@lru_cache(maxsize=16)
def _choices(locale, tree):
    """(category choices, district choices) in a language for a category tree."""
    categories = [SelectChoice("", str(_l("Semua kategori")))]
    for top, children in tree:
        categories.append(SelectChoice(top.slug, top.display_name(locale)))
        categories += [SelectChoice(child.slug, "— " + child.display_name(locale)) for child in children]
    districts = [SelectChoice("", str(_l("Semua kecamatan")))] + [
        SelectChoice(code, name) for code, name in regions.home_districts()]
    return categories, districts


def search_form(params, categories_tree, locale):
    """The filter form showing the current search."""
    form = SearchForm(formdata=None, data={
        "q": params.q, "category": params.category or "", "district": params.district or "",
        "min_price": "" if params.min_price is None else f"{params.min_price:,}".replace(",", "."),
        "max_price": "" if params.max_price is None else f"{params.max_price:,}".replace(",", "."),
        "in_stock": params.in_stock, "sort": params.sort})
    form.offer(categories_tree, locale)
    return form
