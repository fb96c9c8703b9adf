"""The search page's filter form, drawn from a per-process cache: always what WTForms itself would draw."""
import re

from wtforms.meta import DefaultMeta

from marketplace.catalogue.models import Category
from marketplace.extensions import db
from marketplace.search import forms


def _filters(html):
    return re.search(r'<form method="get"[^>]*class="panel search-filters".*?</form>', html, re.S).group(0)


def _uncached(monkeypatch, client, url):
    """The same page with every field drawn by WTForms' own render_field."""
    with monkeypatch.context() as patch:
        patch.setattr(forms.SearchForm.Meta, "render_field", DefaultMeta.render_field)
        return _filters(client.get(url).get_data(as_text=True))


def test_cached_form_is_what_wtforms_draws(monkeypatch, client, world):
    url = "/search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&category=teh-herbal&district=64.02.12&in_stock=1"
    first = _filters(client.get(url).get_data(as_text=True))
    assert _filters(client.get(url).get_data(as_text=True)) == first
    assert first == _uncached(monkeypatch, client, url)
    assert "<script>alert" not in first
    assert re.search(r'<option selected value="teh-herbal">', first)


def test_selection_and_language_are_never_served_from_another_search(client, world):
    madu = _filters(client.get("/search?q=madu&category=madu").get_data(as_text=True))
    teh = _filters(client.get("/search?q=madu&category=teh-herbal").get_data(as_text=True))
    assert '<option selected value="madu">' in madu and '<option selected value="teh-herbal">' in teh
    assert '<option selected value="madu">' not in teh
    english = _filters(client.get("/search?q=madu&lang=en").get_data(as_text=True))
    assert "All categories" in english and "Semua kategori" not in english
    assert "Semua kategori" in _filters(client.get("/search?q=madu&lang=id").get_data(as_text=True))


def test_a_new_category_shows_up_in_the_cached_form(client, world):
    before = _filters(client.get("/search?q=madu").get_data(as_text=True))
    assert "Gula Aren Cair" not in before
    db.session.add(Category(slug="gula-aren-cair", name_id="Gula Aren Cair", name_en="Liquid palm sugar",
                            position=99))
    db.session.commit()
    assert '<option value="gula-aren-cair">Gula Aren Cair</option>' in _filters(
        client.get("/search?q=madu").get_data(as_text=True))
