"""The tracking number on the buyer's order page is plain text; the copy button is added by JavaScript only."""
import re

from tests.orders.test_fulfilment_views import _page, _reach, _section, buyer, two_shop_order  # noqa: F401


def test_the_resi_is_plain_text_with_a_script_that_adds_its_copy_button(client, two_shop_order):
    order, honey_part, crackers_part = two_shop_order
    _reach(honey_part, "shipped")
    page = _page(client, order)
    honey = _section(page, honey_part)
    assert ('<span class="resi" data-copy="Salin resi" data-copied="Nomor resi sudah disalin.">JP123456789</span>'
            in honey)
    assert "Salin resi</button>" not in page  # without JavaScript there is no button that would do nothing
    assert re.search(r'<script src="[^"]*js/copy-text[^"]*" defer></script>', honey)
    assert "data-copy" not in _section(page, crackers_part)  # not shipped yet: nothing to copy
