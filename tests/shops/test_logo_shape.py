"""A logo is cropped to a circle only when its stored image is square; any other shape is shown whole."""
import re

import pytest

from marketplace.extensions import db
from marketplace.shops import service as shops
from tests.shops.images import jpeg_bytes
from tests.shops.test_views import file, shop_form


def logo_tag(body):
    return re.search(r'<img class="logo[^"]*"[^>]*>', body).group(0)


@pytest.mark.parametrize("size, round_, box", [
    ((900, 900), True, (96, 96)),
    ((900, 300), False, (96, 32)),
    ((300, 900), False, (32, 96)),
    ((901, 900), False, (96, 96)),
])
def test_logo_is_round_only_when_square(client, logged_in, send, size, round_, box):
    assert send("/dashboard/shop", shop_form(logo=file(jpeg_bytes(size), "logo.jpg"))).status_code == 302
    shop = shops.shop_of(logged_in)
    assert (shop.logo_width, shop.logo_height) == size
    for page in (f"/toko/{shop.slug}", "/dashboard", "/dashboard/shop"):
        tag = logo_tag(client.get(page).get_data(as_text=True))
        assert ("logo-round" in tag) is round_, page
        assert f'width="{box[0]}" height="{box[1]}"' in tag, page


def test_a_logo_of_unknown_size_is_shown_whole(client, logged_in, send):
    send("/dashboard/shop", shop_form(logo=file(jpeg_bytes((500, 500)), "logo.jpg")))
    shop = shops.shop_of(logged_in)
    shop.logo_width = shop.logo_height = None  # stored before sizes were recorded
    db.session.commit()
    tag = logo_tag(client.get(f"/toko/{shop.slug}").get_data(as_text=True))
    assert "logo-round" not in tag and 'width="96" height="96"' in tag
