"""Static files under content-hashed URLs with a year of immutable caching; the favicon; page descriptions."""
import hashlib
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"


def linked_static(html):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_static_files_by_content_hash(client):
    links = linked_static(client.get("/login").get_data(as_text=True))
    assert any(link.startswith("/static/site.css?v=") for link in links)
    for link in links:
        path, digest = link.split("?v=")
        expected = hashlib.sha256((STATIC / path.removeprefix("/static/")).read_bytes()).hexdigest()[:12]
        assert digest == expected


def test_a_hashed_url_is_cached_for_a_year(client):
    link = next(link for link in linked_static(client.get("/login").get_data(as_text=True)) if "site.css" in link)
    with client.get(link) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?v=" + "x" * 5000])
def test_an_unhashed_or_stale_url_is_revalidated(client, query):
    with client.get(f"/static/site.css{query}") as response:
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"


def test_a_missing_static_file_is_404(client):
    assert client.get("/static/nothing-here.css?v=abc").status_code == 404


def test_the_favicon_is_served_where_browsers_look(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/x-icon"
        assert response.data == (STATIC / "favicon.ico").read_bytes()
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


def test_every_page_has_a_description_and_a_product_page_its_own(client, make_product):
    assert re.search(r'<meta name="description" content="[^"]{40,}">', client.get("/").get_data(as_text=True))
    product = make_product(title="Madu Kelulut Jembayan")
    page = client.get(f"/toko/{product.shop.slug}/{product.slug}").get_data(as_text=True)
    described = re.search(r'<meta name="description" content="([^"]+)">', page).group(1)
    assert described.startswith("Madu Kelulut Jembayan dari ") and "Madu asli." in described
