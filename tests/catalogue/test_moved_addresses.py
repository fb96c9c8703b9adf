"""Old shop and listing addresses keep answering: 301 to the current page, forever, never given to another."""
import pytest

from marketplace.catalogue import service as catalogue
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.moderation import service as moderation
from marketplace.shops import service as shops


def rename_shop(shop, slug=None, name=None):
    details = shops.ShopDetails(name=name or shop.name, slug=slug or "", story=shop.story,
                                district_code=shop.district_code, village_code=shop.village_code,
                                whatsapp=shop.whatsapp, shipping_fee_idr=shop.shipping_fee_idr,
                                pickup_allowed=shop.pickup_allowed)
    shops.update_shop(shop, details)
    db.session.commit()


def retitle(product, title):
    """Rename a public listing; the new title (and address) goes live as the change is confirmed."""
    fields = {name: getattr(product, name) for name in catalogue.ProductDetails.__dataclass_fields__}
    catalogue.update_product(product, catalogue.ProductDetails(**{**fields, "title": title}))
    if product.pending_edit is not None:
        moderation.confirm_change(product, None, automatic=True)
    db.session.commit()


def test_a_shop_moved_twice_answers_301_from_every_old_address(client, make_shop, make_product):
    shop = make_shop(name="Madu Loa Kulu", slug="madu-loa-kulu")
    product = make_product(shop=shop, title="Madu Kelulut")
    rename_shop(shop, slug="jl-poros-loa-kulu-km-20")
    rename_shop(shop, slug="madu-kelulut-loa-kulu")
    for old in ("madu-loa-kulu", "jl-poros-loa-kulu-km-20"):
        response = client.get(f"/toko/{old}?page=1")
        assert response.status_code == 301
        assert response.headers["Location"] == "/toko/madu-kelulut-loa-kulu?page=1"
        response = client.get(f"/toko/{old}/{product.slug}")
        assert response.status_code == 301
        assert response.headers["Location"] == f"/toko/madu-kelulut-loa-kulu/{product.slug}"
    assert client.get("/toko/madu-kelulut-loa-kulu").status_code == 200


def test_a_renamed_listing_answers_301_from_its_old_address(client, make_product):
    product = make_product(title="Madu Kelulut Asli")
    shop_slug = product.shop.slug
    retitle(product, "Madu Kelulut Super")
    retitle(product, "Madu Kelulut Super 500 ml")
    for old in ("madu-kelulut-asli", "madu-kelulut-super"):
        response = client.get(f"/toko/{shop_slug}/{old}")
        assert response.status_code == 301
        assert response.headers["Location"] == f"/toko/{shop_slug}/madu-kelulut-super-500-ml"
    assert client.get(f"/toko/{shop_slug}/madu-kelulut-super-500-ml").status_code == 200


def test_renaming_back_takes_the_old_address_again(client, make_product):
    product = make_product(title="Gula Aren")
    retitle(product, "Gula Aren Cetak")
    retitle(product, "Gula Aren")
    assert product.slug == "gula-aren"
    assert client.get(f"/toko/{product.shop.slug}/gula-aren").status_code == 200
    assert client.get(f"/toko/{product.shop.slug}/gula-aren-cetak").status_code == 301


def test_an_old_shop_address_is_never_given_to_another_shop(make_shop):
    first = make_shop(name="Amplang Muara", slug="amplang-muara")
    rename_shop(first, slug="amplang-muara-badak")
    with pytest.raises(InvalidInput) as refused:
        make_shop(name="Toko Lain", slug="amplang-muara")
    assert refused.value.field == "slug"
    assert make_shop(name="Amplang Muara").slug == "amplang-muara-2"


def test_an_old_listing_address_is_never_given_to_another_listing(make_product):
    product = make_product(title="Amplang Ikan")
    retitle(product, "Amplang Ikan Pipih")
    other = make_product(shop=product.shop, title="Amplang Ikan")
    assert other.slug == "amplang-ikan-2"


def test_a_hidden_listing_is_not_revealed_through_its_old_address(client, make_product):
    product = make_product(status="draft", title="Madu Rahasia")
    retitle(product, "Madu Rahasia Baru")
    assert client.get(f"/toko/{product.shop.slug}/madu-rahasia").status_code == 404


@pytest.mark.parametrize("path", ["/toko/tidak-ada", "/toko/tidak-ada/apa-saja", "/toko/%00", "/toko/x/%00"])
def test_unknown_addresses_stay_404(client, make_product, path):
    make_product()
    assert client.get(path).status_code == 404

