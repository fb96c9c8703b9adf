"""Shop rules of shops/service.py: slugs, regions, WhatsApp numbers, shipping fee, one shop per producer."""
from dataclasses import replace

import pytest

from marketplace import regions
from marketplace.errors import InvalidInput, NotAllowed
from marketplace.extensions import db
from marketplace.media.storage import get_storage
from marketplace.catalogue.service import process_photos
from marketplace.shops import service
from tests.shops.images import jpeg_bytes

DISTRICT = "64.02.06"  # Tenggarong


def village(district=DISTRICT):
    return regions.children(district)[0][0]


@pytest.fixture
def details():
    return service.ShopDetails(name="Madu Kelulut Loa Kulu", story="Kami memelihara kelulut.",
                               district_code=DISTRICT, village_code=village(), whatsapp="0812 3456 7890",
                               shipping_fee_idr=15000, pickup_allowed=True)


@pytest.fixture
def producer(make_user):
    return make_user("producer")


def test_open_shop_stores_the_cleaned_profile(producer, details):
    shop = service.open_shop(producer, replace(details, name="  Madu  Kelulut\x00 Loa Kulu ",
                                               story="Paragraf satu.\r\n\r\nParagraf dua.\x07\n"))
    assert shop.owner_id == producer.id and shop.is_active and not shop.trusted
    assert (shop.name, shop.slug) == ("Madu Kelulut Loa Kulu", "madu-kelulut-loa-kulu")
    assert shop.story == "Paragraf satu.\n\nParagraf dua."
    assert (shop.whatsapp, shop.shipping_fee_idr, shop.pickup_allowed) == ("+6281234567890", 15000, True)
    assert service.shop_of(producer) is shop and service.get_shop_by_slug("madu-kelulut-loa-kulu") is shop


def test_derived_slugs_are_made_unique(make_user, details):
    first = service.open_shop(make_user("producer"), details)
    second = service.open_shop(make_user("producer"), details)
    third = service.open_shop(make_user("producer"), details)
    assert [first.slug, second.slug, third.slug] == ["madu-kelulut-loa-kulu", "madu-kelulut-loa-kulu-2",
                                                     "madu-kelulut-loa-kulu-3"]


def test_a_chosen_slug_is_normalised_and_must_be_free(make_user, details):
    shop = service.open_shop(make_user("producer"), replace(details, slug="  Madu Asli!! "))
    assert shop.slug == "madu-asli"
    with pytest.raises(InvalidInput) as refused:
        service.open_shop(make_user("producer"), replace(details, slug="madu-asli"))
    assert refused.value.field == "slug" and "madu-asli" in refused.value.message


def test_editing_keeps_the_own_slug_and_can_change_it(make_user, details):
    shop = service.open_shop(make_user("producer"), replace(details, slug="madu-asli"))
    service.update_shop(shop, replace(details, name="Nama baru", slug="madu-asli"))
    assert (shop.name, shop.slug) == ("Nama baru", "madu-asli")
    service.update_shop(shop, replace(details, slug="kelulut-tenggarong"))
    assert shop.slug == "kelulut-tenggarong" and service.get_shop_by_slug("madu-asli") is None


def test_editing_cannot_take_another_shops_slug(make_user, details):
    service.open_shop(make_user("producer"), replace(details, slug="diambil"))
    mine = service.open_shop(make_user("producer"), replace(details, slug="punyaku"))
    with pytest.raises(InvalidInput) as refused:
        service.update_shop(mine, replace(details, slug="Diambil"))
    assert refused.value.field == "slug"
    db.session.refresh(mine)
    assert mine.slug == "punyaku"


@pytest.mark.parametrize("change, field", [
    ({"name": "M"}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 81}, "name"), ({"name": "!!!"}, "name"),
    ({"name": "x" * 1_000_000}, "name"), ({"slug": "!!!"}, "slug"), ({"slug": "é"}, "slug"),
    ({"story": "s" * 5001}, "story"),
    ({"district_code": ""}, "district_code"), ({"district_code": "99.99.99"}, "district_code"),
    ({"district_code": "64.01.01", "village_code": village("64.01.01")}, "district_code"),  # Paser, not Kukar
    ({"district_code": "64.02"}, "district_code"),
    ({"village_code": ""}, "village_code"), ({"village_code": "64.02.06.9999"}, "village_code"),
    ({"village_code": village("64.02.02")}, "village_code"),  # a village of Loa Kulu, not Tenggarong
    ({"village_code": DISTRICT}, "village_code"),
    ({"shipping_fee_idr": -1}, "shipping_fee_idr"), ({"shipping_fee_idr": 10_000_001}, "shipping_fee_idr"),
    ({"shipping_fee_idr": 1500.5}, "shipping_fee_idr"), ({"shipping_fee_idr": None}, "shipping_fee_idr"),
    ({"shipping_fee_idr": True}, "shipping_fee_idr"),
])
def test_refusals_name_the_field_and_open_nothing(producer, details, change, field):
    with pytest.raises(InvalidInput) as refused:
        service.open_shop(producer, replace(details, **change))
    assert refused.value.field == field and refused.value.message
    assert service.shop_of(producer) is None


@pytest.mark.parametrize("typed", ["0812 3456 7890", "081234567890", "6281234567890", "+6281234567890",
                                   "+62 812-3456-7890", "(0812) 3456.7890", " 0812-3456-7890 "])
def test_whatsapp_formats_accepted(producer, details, typed):
    assert service.open_shop(producer, replace(details, whatsapp=typed)).whatsapp == "+6281234567890"


@pytest.mark.parametrize("typed", ["", "abc", "0812", "12345678901", "021 555 1234", "+1 415 555 2671",
                                   "0812 3456 7890 1234", "+62 0812 3456 7890", "0812345678x", "08" + "1" * 5000,
                                   "0712 3456 7890", "<script>0812</script>"])
def test_whatsapp_formats_refused(producer, details, typed):
    with pytest.raises(InvalidInput) as refused:
        service.open_shop(producer, replace(details, whatsapp=typed))
    assert refused.value.field == "whatsapp" and "0812" in refused.value.message
    assert service.shop_of(producer) is None


@pytest.mark.parametrize("fee", [0, 1, 10_000_000])
def test_shipping_fee_bounds(producer, details, fee):
    assert service.open_shop(producer, replace(details, shipping_fee_idr=fee)).shipping_fee_idr == fee


def test_every_home_district_and_its_villages_are_accepted(producer, details):
    shop = service.open_shop(producer, details)
    for code, _name in regions.home_districts():
        last_village = regions.children(code)[-1][0]
        service.update_shop(shop, replace(details, district_code=code, village_code=last_village))
        assert (shop.district_code, shop.village_code) == (code, last_village)
        assert shop.district_name and shop.village_name


def test_one_shop_per_producer_and_only_producers(make_user, producer, details):
    service.open_shop(producer, details)
    with pytest.raises(InvalidInput):
        service.open_shop(producer, replace(details, name="Toko kedua"))
    for role in ("buyer", "admin"):
        with pytest.raises(NotAllowed):
            service.open_shop(make_user(role), details)


def test_a_refused_edit_changes_nothing(producer, details):
    shop = service.open_shop(producer, details)
    with pytest.raises(InvalidInput):
        service.update_shop(shop, replace(details, name="Nama baru", whatsapp="12345"))
    assert shop.name == "Madu Kelulut Loa Kulu" and shop.whatsapp == "+6281234567890"


def test_set_logo_uses_the_processed_photo(producer, details):
    shop = service.open_shop(producer, details)
    logo = process_photos([jpeg_bytes((300, 300))], get_storage()).images[0]
    service.set_logo(shop, logo)
    assert shop.logo_hash == logo.content_hash and get_storage().exists(logo.master_key)
