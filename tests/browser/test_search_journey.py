"""A buyer searches with a typo, is shown the corrected search, narrows it by a facet and reaches the
product, in a real Chromium, with and without JavaScript (suggestions appear only with it)."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _seed(token):
    """Two keripik listings with the token in their titles, in shops of two districts."""
    from sqlalchemy import select

    from marketplace import regions
    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.models import Category
    from marketplace.moderation import service as moderation
    from marketplace.shops import service as shops

    admin = accounts.register_user(verified=True, email=f"admin-search-{token}@example.com", name="Admin", phone="",
                                   password=TEST_PASSWORD, role="admin")
    keripik = db.session.scalar(select(Category.id).where(Category.slug == "keripik"))
    for number, (district, title) in enumerate([("64.02.07", f"Keripik Pisang Manis {token}"),
                                                ("64.02.06", f"Keripik Singkong Balado {token}")]):
        owner = accounts.register_user(email=f"produsen-search{number}-{token}@example.com", name="Produsen",
                                       phone="081234567890", password=TEST_PASSWORD, role="producer", verified=True)
        shop = shops.open_shop(owner, shops.ShopDetails(
            name=f"Dapur Keripik {number} {token}", story="", district_code=district,
            village_code=regions.children(district)[0][0], whatsapp="0812 3456 7890", shipping_fee_idr=10000,
            pickup_allowed=True))
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title=title, description="Renyah, digoreng setiap pagi.", category_id=keripik, price_idr=18000,
            stock=20, unit="200 g"))
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_search_with_a_typo_then_a_facet_then_the_product(live_server, new_context, javascript):
    token = "x" + uuid.uuid4().hex[:8]
    live_server.run(_seed, token)
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/")
    box = page.get_by_label("Cari produk")
    if javascript:
        box.press_sequentially("kerip", delay=30)
        expect(page.locator('#header-q-suggestions option[value="keripik"]')).to_have_count(1)
    box.fill(f"kerpik {token}")   # a typo ("kripik" is a spelling the synonyms know)
    page.get_by_role("button", name="Telusuri").click()

    correction = page.get_by_role("status").filter(has_text="Menampilkan hasil untuk")
    expect(correction).to_contain_text(f"keripik {token}")
    expect(page.get_by_role("link", name=re.compile(f"Keripik Pisang Manis {token}"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(f"Keripik Singkong Balado {token}"))).to_be_visible()

    # Filters and facets sit behind "Filter": open on a wide screen with JavaScript, one tap away without it.
    if not page.locator("details.search-side").evaluate("d => d.open"):
        page.locator("details.search-side > summary").click()
    facets = page.get_by_role("complementary", name="Persempit hasil")
    facets.get_by_role("link", name="Sebulu").click()
    expect(page).to_have_url(re.compile(r"district=64\.02\.07"))
    expect(page.get_by_role("link", name=re.compile(f"Keripik Singkong Balado {token}"))).to_have_count(0)

    page.get_by_role("link", name=re.compile(f"Keripik Pisang Manis {token}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Keripik Pisang Manis {token}")
