"""Links in templates are built once per process (marketplace/links.py) and stay what url_for builds."""
import pytest
from flask import render_template_string, url_for

from marketplace.links import cached_url_for, site_url_for


@pytest.mark.parametrize("endpoint, values", [
    ("catalogue.home", {}),
    ("static", {"filename": "site.css"}),
    ("catalogue.product", {"shop_slug": "toko-a", "product_slug": "madu"}),
    ("catalogue.category", {"slug": "madu", "page": 2}),
    ("search.results", {"q": "madu & <kopi> ü" + "x" * 5000}),
])
def test_cached_links_are_url_for(app, endpoint, values):
    with app.test_request_context("/"):
        expected = url_for(endpoint, **values)
        assert cached_url_for(endpoint, **values) == expected
        assert cached_url_for(endpoint, **values) == expected  # the second time from the cache
        assert render_template_string("{{ url_for(e, **v) }}", e=endpoint, v=values) == str(
            render_template_string("{{ x }}", x=expected))


def test_a_link_depends_on_the_script_root(app):
    with app.test_request_context("/", base_url="http://localhost/pasar"):
        assert cached_url_for("catalogue.home") == "/pasar/"
    with app.test_request_context("/"):
        assert cached_url_for("catalogue.home") == "/"


@pytest.mark.parametrize("values", [{"page": True}, {"page": 2.5}, {"_anchor": "ulasan"}, {"_external": True}])
def test_other_values_go_to_url_for(app, values):
    with app.test_request_context("/"):
        assert cached_url_for("catalogue.category", slug="madu", **values) == url_for(
            "catalogue.category", slug="madu", **values)


def test_unknown_endpoints_still_fail(app):
    from werkzeug.routing import BuildError

    with app.test_request_context("/"), pytest.raises(BuildError):
        cached_url_for("catalogue.nothing")
    with app.test_request_context("/"), pytest.raises(BuildError):
        cached_url_for("catalogue.product", shop_slug="a")  # a value missing


def test_the_cache_is_bounded(app):
    cache = app.extensions["pasardesa_links"]
    with app.test_request_context("/"):
        for number in range(20_100):
            assert cached_url_for("catalogue.category", slug="madu", page=number) == f"/kategori/madu?page={number}"
    assert len(cache) <= 20_001


def test_site_links_follow_site_url(app):
    original = app.config["SITE_URL"]
    with app.app_context():
        site_url_for("catalogue.home")
        app.config["SITE_URL"] = "https://pasar.example/desa"
        try:
            assert site_url_for("catalogue.shop", shop_slug="toko-a") == "https://pasar.example/desa/toko/toko-a"
        finally:
            app.config["SITE_URL"] = original
        assert site_url_for("catalogue.home") == original.rstrip("/") + "/"
