"""Listing pages answer a page number that is not one of theirs with 404, never 500."""
import pytest

from tests.worlds import module_world


def build_world(make):
    """One approved listing: its category, district and shop pages each have exactly one page."""
    return {"product": make.product(category="kopi")}


# Built once for the module's 39 tests, each rolled back to it.
world_built, app, world = module_world(build_world)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "1e3", str(10**9), "9" * 5000, "%00", "%D9%A3",
                                  "2", "1%20OR%201=1", "%3Cscript%3E"])
@pytest.mark.parametrize("where", ["category", "district", "shop"])
def test_hostile_page_numbers_are_404_never_500(client, world, page, where):
    product = world["product"]
    path = {"category": "/kategori/minuman", "district": f"/kecamatan/{product.shop.district_code}",
            "shop": f"/toko/{product.shop.slug}"}[where]
    first = client.get(f"{path}?page=1")
    assert first.status_code == 200 and product.title in first.get_data(as_text=True)
    assert client.get(f"{path}?page={page}").status_code == 404
