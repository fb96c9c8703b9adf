"""The producer's pages through HTTP: shop, listings, photos (real image files), stock, access control, CSRF."""
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace import regions
from marketplace.catalogue import service as catalogue
from marketplace.catalogue.models import Category, Product, ProductEdit, ProductEditImage, ProductImage
from marketplace.extensions import db
from marketplace.media.service import master_key, variant_key
from marketplace.media.storage import get_storage
from marketplace.moderation import service as moderation
from marketplace.shops import service as shops
from marketplace.shops.models import Shop
from tests.pages import page_html
from tests.shops.images import distinct_jpegs, gif_bytes, jpeg_bytes, media_files
from tests.worlds import module_world

DISTRICT = "64.02.06"  # Tenggarong


def file(data, name="foto.jpg"):
    return io.BytesIO(data), name


def media_root(app):
    return Path(app.config["MEDIA_ROOT"])


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def error_of(response, field):
    """The message shown next to a field (the text of its #<field>-error element)."""
    match = re.search(rf'id="{field}-error">([^<]*)<', response.get_data(as_text=True))
    return match.group(1) if match else None


def category_id(slug="madu"):
    return db.session.scalar(select(Category.id).where(Category.slug == slug))


def shop_form(**changes):
    data = {"name": "Madu Kelulut Tenggarong", "slug": "", "story": "Cerita.\r\n\r\nParagraf dua.",
            "district_code": DISTRICT, "village_code": regions.children(DISTRICT)[0][0],
            "whatsapp": "+62 812-3456-7890", "shipping_fee_idr": "Rp 12.000", "pickup_allowed": "y"}
    data.update(changes)
    return data


def product_form(**changes):
    data = {"title": "Madu Kelulut Asli", "description": "Madu trigona dari kebun karet.",
            "category_id": str(category_id()), "price_idr": "125.000", "stock": "30", "unit": "1 botol 250 ml",
            "weight_g": "350", "pirt_number": "", "bpom_number": "", "halal_number": "", "halal_expires_on": "",
            "photo_alt": ""}
    data.update(changes)
    return data


def snapshot(product):
    """Everything a producer route could change about a listing."""
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    return (product.title, product.description, product.status, product.price_idr, product.stock,
            product.changed_since_approval, [(i.id, i.position, i.alt_text) for i in product.images])


def add_photos(product, count_):
    photos = catalogue.process_photos(distinct_jpegs(count_), get_storage()).images
    images = [catalogue.add_photo(product, photo) for photo in photos]
    db.session.commit()
    return images


# --- the shop ---------------------------------------------------------------------------------------------

def test_dashboard_prompts_to_open_a_shop(client, logged_in):
    body = client.get("/dashboard").get_data(as_text=True)
    assert "Anda belum membuka toko" in body and 'href="/dashboard/shop"' in body


def test_open_shop_with_a_real_logo(app, client, logged_in, send):
    response = send("/dashboard/shop", shop_form(logo=file(jpeg_bytes((900, 900)), "logo.jpg")))
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    shop = shops.shop_of(logged_in)
    assert (shop.slug, shop.whatsapp, shop.shipping_fee_idr, shop.pickup_allowed) == (
        "madu-kelulut-tenggarong", "+6281234567890", 12000, True)
    assert shop.story == "Cerita.\n\nParagraf dua."
    assert (media_root(app) / master_key(shop.logo_hash)).is_file()
    assert (media_root(app) / variant_key(shop.logo_hash, 640)).is_file()
    body = client.get("/dashboard").get_data(as_text=True)
    assert "Madu Kelulut Tenggarong" in body and variant_key(shop.logo_hash, 320) in body


def test_a_gif_logo_named_jpg_opens_nothing_and_keeps_the_typing(app, client, logged_in, send):
    response = send("/dashboard/shop", shop_form(story="Cerita <b>saya</b>", logo=file(gif_bytes(), "logo.jpg")))
    assert response.status_code == 422
    assert "Format foto tidak didukung" in error_of(response, "logo")
    body = response.get_data(as_text=True)
    assert 'value="Madu Kelulut Tenggarong"' in body and "Cerita &lt;b&gt;saya&lt;/b&gt;" in body
    assert shops.shop_of(logged_in) is None and media_files(media_root(app)) == []


def test_choosing_a_district_reloads_its_villages_without_saving(client, logged_in, send):
    response = send("/dashboard/shop", shop_form(district_code="64.02.02", village_code="", action="villages",
                                                 name="Toko yang belum disimpan"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    loa_kulu = [code for code, _name in regions.children("64.02.02")]
    tenggarong = [code for code, _name in regions.children(DISTRICT)]
    assert all(f'value="{code}"' in body for code in loa_kulu)
    assert not any(f'value="{code}"' in body for code in tenggarong)
    assert 'value="Toko yang belum disimpan"' in body and 'value="+62 812-3456-7890"' in body
    assert shops.shop_of(logged_in) is None


@pytest.mark.parametrize("changes, field, message", [
    ({"village_code": regions.children("64.02.02")[0][0]}, "village_code", "kecamatan yang dipilih"),
    ({"district_code": "64.01.01"}, "district_code", "Kutai Kartanegara"),
    ({"whatsapp": "021 555 1234"}, "whatsapp", "0812"),
    ({"shipping_fee_idr": "-5.000"}, "shipping_fee_idr", "Rp10.000.000"),
    ({"shipping_fee_idr": "12,5"}, "shipping_fee_idr", "tanpa koma"),
    ({"name": ""}, "name", "wajib"),
    ({"name": "x" * 200_000}, "name", "80"),
])
def test_bad_shop_input_is_refused_next_to_its_field(client, logged_in, send, changes, field, message):
    response = send("/dashboard/shop", shop_form(**changes))
    assert response.status_code == 422
    assert message in (error_of(response, field) or "")
    assert shops.shop_of(logged_in) is None


def test_taken_slug_is_refused(client, make_shop, logged_in, send):
    make_shop(name="Toko Lain", slug="sudah-ada")
    response = send("/dashboard/shop", shop_form(slug="sudah-ada"))
    assert response.status_code == 422 and "sudah dipakai" in error_of(response, "slug")


def test_edit_shop(client, shop, logged_in, send):
    page = client.get("/dashboard/shop").get_data(as_text=True)
    assert f'value="{shop.name}"' in page and f'value="{shop.slug}"' in page
    response = send("/dashboard/shop", shop_form(name="Nama Baru", slug=shop.slug, shipping_fee_idr="0",
                                                 pickup_allowed=""))
    assert response.status_code == 302
    db.session.expire_all()
    shop = db.session.get(Shop, shop.id)
    assert (shop.name, shop.shipping_fee_idr, shop.pickup_allowed) == ("Nama Baru", 0, False)


# --- creating listings ------------------------------------------------------------------------------------

def test_new_listing_needs_a_shop_first(client, logged_in):
    response = client.get("/dashboard/products/new")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/shop"


def test_create_listing_with_a_real_jpeg(app, client, shop, logged_in, send):
    response = send("/dashboard/products/new", product_form(photo=file(jpeg_bytes((1600, 1200)), "madu.jpg"),
                                                            photo_alt="Botol madu di meja"))
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.shop_id == shop.id))
    assert response.headers["Location"] == f"/dashboard/products/{product.id}/edit"
    assert (product.status, product.price_idr, product.stock, product.weight_g) == ("draft", 125000, 30, 350)
    image = db.session.scalar(select(ProductImage).where(ProductImage.product_id == product.id))
    assert (image.position, image.alt_text, image.width, image.height) == (0, "Botol madu di meja", 1600, 1200)
    for size in (320, 640, 960, 1280):
        assert (media_root(app) / variant_key(image.content_hash, size)).is_file()
    assert (media_root(app) / master_key(image.content_hash)).is_file()
    page = client.get(f"/dashboard/products/{product.id}/edit").get_data(as_text=True)
    assert variant_key(image.content_hash, 320) in page and "Foto sampul" in page


def test_create_listing_with_several_photos_in_one_post(client, shop, logged_in, send):
    photos = [file(data, f"foto-{i}.jpg") for i, data in enumerate(distinct_jpegs(3, (300, 200)))]
    assert send("/dashboard/products/new", product_form(photo=photos)).status_code == 302
    product = db.session.scalar(select(Product).where(Product.shop_id == shop.id))
    assert [image.position for image in product.images] == [0, 1, 2]
    assert all(image.alt_text == "Madu Kelulut Asli" for image in product.images)


def test_an_empty_file_input_is_no_photo(client, shop, logged_in, send):
    assert send("/dashboard/products/new", product_form(photo=file(b"", ""))).status_code == 302
    product = db.session.scalar(select(Product).where(Product.shop_id == shop.id))
    assert product.images == []


@pytest.mark.parametrize("bad, message", [
    (file(gif_bytes(), "madu.jpg"), "Format foto tidak didukung. Gunakan JPEG, PNG, WebP atau HEIC."),
    (file(b"", "kosong.jpg"), "Berkas foto kosong"),
    (file(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "gambar.jpg"), "Format foto tidak didukung"),
    (file(jpeg_bytes()[:400], "terpotong.jpg"), "Foto rusak atau tidak lengkap"),
])
def test_a_bad_photo_saves_nothing_and_keeps_the_typing(app, client, shop, logged_in, send, bad, message):
    typed = product_form(title="Madu <b>asli</b> Loa Kulu", description="Baris satu\r\n\r\n<script>x</script>",
                         price_idr="Rp 15.000")
    images_before = count(ProductImage)
    response = send("/dashboard/products/new", {**typed, "photo": [file(jpeg_bytes(), "bagus.jpg"), bad]})
    assert response.status_code == 422
    assert message in error_of(response, "photo") and bad[1] in error_of(response, "photo")
    body = response.get_data(as_text=True)
    assert 'value="Madu &lt;b&gt;asli&lt;/b&gt; Loa Kulu"' in body and 'value="Rp 15.000"' in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body and "<script>x" not in body
    assert count(Product, Product.shop_id == shop.id) == 0 and count(ProductImage) == images_before
    assert media_files(media_root(app)) == []


def test_typed_mistakes_are_reported_before_any_photo_work(app, client, shop, logged_in, send):
    response = send("/dashboard/products/new", product_form(title="x", photo=file(jpeg_bytes())))
    assert response.status_code == 422 and "3 sampai 120" in error_of(response, "title")
    assert media_files(media_root(app)) == []


@pytest.mark.parametrize("typed", ["15.000", "15000", "Rp 15.000", "Rp15.000", "rp. 15.000,-", "IDR 15000",
                                   "Rp 15.000,00", " 15.000 "])
def test_price_typed_the_indonesian_way(client, shop, logged_in, send, typed):
    assert send("/dashboard/products/new", product_form(price_idr=typed)).status_code == 302
    assert db.session.scalar(select(Product.price_idr).where(Product.shop_id == shop.id)) == 15000


@pytest.mark.parametrize("typed, message", [
    ("15,5", "tanpa koma"), ("15.000,50", "tanpa koma"), ("1e5", "tanpa koma"), ("lima ribu", "tanpa koma"),
    ("15.00", "tanpa koma"), ("", "wajib"), ("-5.000", "Rp1.000 dan Rp100.000.000"),
    ("500", "Rp1.000 dan Rp100.000.000"), ("100.000.001", "Rp1.000 dan Rp100.000.000"),
    ("9" * 40, "Rp1.000 dan Rp100.000.000"), ("9" * 100_000, "Rp1.000 dan Rp100.000.000"),
])
def test_bad_prices_are_refused(client, shop, logged_in, send, typed, message):
    response = send("/dashboard/products/new", product_form(price_idr=typed))
    assert response.status_code == 422 and message in (error_of(response, "price_idr") or "")
    assert count(Product, Product.shop_id == shop.id) == 0


@pytest.mark.parametrize("field, typed, message", [
    ("stock", "100.001", "100.000"), ("stock", "-1", "100.000"), ("stock", "2,5", "tanpa koma"),
    ("category_id", "", "Pilih kategori"), ("category_id", "999999", "Pilih kategori"),
    ("category_id", "madu", "Pilih kategori"), ("title", "", "wajib"),
    ("description", "d" * 5001, "5.000"), ("unit", "u" * 61, "60"),
    ("pirt_number", "12345", "15 angka"), ("bpom_number", "MX123", "MD atau ML"),
    ("halal_expires_on", "31-01-2027", "Tanggal tidak valid"),
    ("weight_g", "1.000.001", "1.000.000 gram"),
])
def test_bad_listing_input_is_refused_next_to_its_field(client, shop, logged_in, send, field, typed, message):
    response = send("/dashboard/products/new", product_form(**{field: typed}))
    assert response.status_code == 422 and message in (error_of(response, field) or "")
    assert count(Product, Product.shop_id == shop.id) == 0


def test_html_in_a_title_is_shown_as_text(client, shop, logged_in, send):
    assert send("/dashboard/products/new", product_form(title="<script>alert(1)</script>")).status_code == 302
    body = client.get("/dashboard").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body


def test_a_body_over_the_limit_gets_413_and_saves_nothing(client, shop, logged_in, send):
    response = send("/dashboard/products/new", product_form(photo=file(b"\xff" * (17 * 1024 * 1024), "besar.jpg")))
    assert response.status_code == 413 and "Berkas terlalu besar" in response.get_data(as_text=True)
    assert count(Product, Product.shop_id == shop.id) == 0


def test_a_text_field_over_the_form_memory_limit_gets_413(client, shop, logged_in, send):
    response = send("/dashboard/products/new", product_form(description="d" * 1_000_000))
    assert response.status_code == 413 and count(Product, Product.shop_id == shop.id) == 0


# --- editing and the status flow --------------------------------------------------------------------------

def edit_form(product, **changes):
    data = product_form(title=product.title, description=product.description, category_id=str(product.category_id),
                        price_idr=str(product.price_idr), stock=str(product.stock), unit=product.unit,
                        weight_g=str(product.weight_g))
    data.update(changes)
    return data


def test_edit_form_shows_the_stored_values(client, shop, logged_in, make_product):
    product = make_product(shop=shop, status="draft", price_idr=1250000, stock=1500)
    body = client.get(f"/dashboard/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="1.250.000"' in body and 'value="1.500"' in body and f'value="{product.title}"' in body


def test_price_and_stock_of_an_approved_listing_apply_at_once(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="approved")
    response = send(f"/dashboard/products/{product.id}/edit", edit_form(product, price_idr="Rp 60.000", stock="4"))
    assert response.status_code == 302
    title, _d, status, price, stock, changed, _i = snapshot(product)
    assert (status, price, stock, changed) == ("approved", 60000, 4, False)
    assert "Diubah sejak disetujui" not in page_html(client, "/dashboard")


def test_a_title_edit_keeps_an_approved_listing_public_but_flagged(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="approved")
    title = product.title
    assert send(f"/dashboard/products/{product.id}/edit", edit_form(product, title="Madu baru")).status_code == 302
    public_title, _d, status, _p, _s, changed, _i = snapshot(product)
    assert status == "approved" and changed is True and public_title == title
    assert "Perubahan menunggu peninjauan" in client.get("/dashboard").get_data(as_text=True)


def test_a_trusted_shops_title_edit_is_public_at_once_and_flagged(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="approved")
    shop.trusted = True
    db.session.commit()
    assert send(f"/dashboard/products/{product.id}/edit", edit_form(product, title="Madu baru")).status_code == 302
    assert snapshot(product)[0] == "Madu baru" and snapshot(product)[5] is True and product.pending_edit is None
    assert "Diubah sejak disetujui" in client.get("/dashboard").get_data(as_text=True)


def test_a_photo_added_to_an_approved_listing_flags_it_and_waits(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="approved")
    response = send(f"/dashboard/products/{product.id}/edit", edit_form(product, photo=file(jpeg_bytes())))
    assert response.status_code == 302
    assert snapshot(product)[5] is True and snapshot(product)[6] == [] and len(product.pending_edit.images) == 1


def test_a_bad_photo_on_edit_changes_nothing_and_keeps_the_typing(app, client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="approved")
    before = snapshot(product)
    response = send(f"/dashboard/products/{product.id}/edit",
                    edit_form(product, title="Judul yang diketik", price_idr="77.000", photo=file(gif_bytes())))
    assert response.status_code == 422 and "Format foto tidak didukung" in error_of(response, "photo")
    assert 'value="Judul yang diketik"' in response.get_data(as_text=True)
    assert snapshot(product) == before and media_files(media_root(app)) == []


def test_the_ninth_photo_is_refused(app, client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="draft")
    add_photos(product, 8)
    files_before, before = media_files(media_root(app)), snapshot(product)
    response = send(f"/dashboard/products/{product.id}/edit",
                    edit_form(product, title="Judul lain", photo=file(jpeg_bytes(colour=(1, 1, 1)))))
    assert response.status_code == 422 and "Paling banyak 8 foto" in error_of(response, "photo")
    assert snapshot(product) == before and media_files(media_root(app)) == files_before


def test_rejected_listing_shows_the_reason_and_is_resubmitted(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="rejected")
    assert "Foto kurang jelas" in client.get("/dashboard").get_data(as_text=True)
    assert "Foto kurang jelas" in client.get(f"/dashboard/products/{product.id}/edit").get_data(as_text=True)
    assert send(f"/dashboard/products/{product.id}/edit", edit_form(product, title="Judul jelas")).status_code == 302
    assert snapshot(product)[2] == "rejected"
    assert send(f"/dashboard/products/{product.id}/submit").status_code == 302
    assert snapshot(product)[2] == "pending"
    assert "Menunggu tinjauan" in client.get("/dashboard").get_data(as_text=True)


def test_submit_then_approval_shows_on_the_dashboard(client, shop, logged_in, send, make_product, make_user):
    product = make_product(shop=shop, status="draft")
    response = send(f"/dashboard/products/{product.id}/submit")
    assert response.status_code == 302 and "menunggu tinjauan" in client.get("/dashboard").get_data(as_text=True)
    moderation.approve_product(db.session.get(Product, product.id), make_user("admin"))
    db.session.commit()
    body = client.get("/dashboard").get_data(as_text=True)
    assert "Disetujui" in body and f"/dashboard/products/{product.id}/submit" not in body


def test_trusted_shop_listing_goes_live_on_submit(client, shop, logged_in, send, make_product):
    shop.trusted = True
    product = make_product(shop=shop, status="draft")
    send(f"/dashboard/products/{product.id}/submit")
    assert snapshot(product)[2] == "approved"
    assert "langsung tayang" in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("status", ["pending", "approved"])
def test_submitting_twice_is_a_conflict(client, shop, logged_in, send, make_product, status):
    product = make_product(shop=shop, status=status)
    assert send(f"/dashboard/products/{product.id}/submit").status_code == 409
    assert snapshot(product)[2] == status


def test_archive(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="approved")
    assert send(f"/dashboard/products/{product.id}/archive").status_code == 302
    assert snapshot(product)[2] == "archived"
    assert client.get(f"/dashboard/products/{product.id}/edit").status_code == 409
    assert send(f"/dashboard/products/{product.id}/stock", {"stock": "3"}).status_code == 409
    assert send(f"/dashboard/products/{product.id}/archive").status_code == 409


# --- the dashboard and quick stock ------------------------------------------------------------------------

def test_dashboard_badges_and_stock_warnings(client, shop, logged_in, make_product):
    plenty = make_product(shop=shop, status="approved", stock=50)
    low = make_product(shop=shop, status="pending", stock=catalogue.LOW_STOCK)
    out = make_product(shop=shop, status="draft", stock=0)
    body = client.get("/dashboard").get_data(as_text=True)

    def row(product):
        return re.search(rf'id="product-{product.id}".*?</li>', body, re.S).group(0)

    assert "Disetujui" in row(plenty) and "Stok menipis" not in row(plenty) and "Habis" not in row(plenty)
    assert "Menunggu tinjauan" in row(low) and "Stok menipis" in row(low)
    assert "Draf" in row(out) and "Habis" in row(out)


def test_quick_stock_update(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="approved", stock=2)
    assert send(f"/dashboard/products/{product.id}/stock", {"stock": "1.200"}).status_code == 302
    assert snapshot(product)[4] == 1200 and snapshot(product)[5] is False


@pytest.mark.parametrize("typed, message", [("abc", "tanpa koma"), ("100.001", "100.000"), ("-1", "100.000"),
                                            ("", "wajib"), ("9" * 50_000, "100.000")])
def test_quick_stock_refused(client, shop, logged_in, send, make_product, typed, message):
    product = make_product(shop=shop, status="approved", stock=2)
    response = send(f"/dashboard/products/{product.id}/stock", {"stock": typed})
    assert response.status_code == 422
    assert message in error_of(response, f"stock-{product.id}")
    assert snapshot(product)[4] == 2


# --- photos -----------------------------------------------------------------------------------------------

def test_photos_are_moved_described_and_removed(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="draft")
    a, b, c = add_photos(product, 3)
    base = f"/dashboard/products/{product.id}/photos"
    assert send(f"{base}/{c.id}/earlier").status_code == 302
    assert [i for i, _p, _a in snapshot(product)[6]] == [a.id, c.id, b.id]
    assert send(f"{base}/{a.id}/later").status_code == 302
    assert [i for i, _p, _a in snapshot(product)[6]] == [c.id, a.id, b.id]
    assert send(f"{base}/{b.id}/alt", {"alt_text": "Madu <dalam> botol"}).status_code == 302
    assert snapshot(product)[6][2] == (b.id, 2, "Madu <dalam> botol")
    assert send(f"{base}/{c.id}/delete").status_code == 302
    assert snapshot(product)[6] == [(a.id, 0, product.title), (b.id, 1, "Madu <dalam> botol")]
    assert "Madu &lt;dalam&gt; botol" in client.get(f"/dashboard/products/{product.id}/edit").get_data(as_text=True)


def test_alt_text_too_long_is_refused(client, shop, logged_in, send, make_product):
    product = make_product(shop=shop, status="draft")
    (image,) = add_photos(product, 1)
    response = send(f"/dashboard/products/{product.id}/photos/{image.id}/alt", {"alt_text": "x" * 201})
    assert response.status_code == 422 and snapshot(product)[6][0][2] == product.title


# --- access control ---------------------------------------------------------------------------------------

def producer_routes(product_id, image_id):
    """Every producer route, with a listing and a photo id to aim at."""
    base = f"/dashboard/products/{product_id}"
    return [("GET", "/dashboard"), ("GET", "/dashboard/shop"), ("POST", "/dashboard/shop"),
            ("GET", "/dashboard/products/new"), ("POST", "/dashboard/products/new"),
            ("GET", f"{base}/edit"), ("POST", f"{base}/edit"), ("POST", f"{base}/submit"),
            ("POST", f"{base}/archive"), ("POST", f"{base}/stock"),
            ("POST", f"{base}/photos/{image_id}/earlier"), ("POST", f"{base}/photos/{image_id}/later"),
            ("POST", f"{base}/photos/{image_id}/delete"), ("POST", f"{base}/photos/{image_id}/alt")]


def build_world(make):
    """Another producer's shop with a draft listing of two photos (their files are in the module's folder: no
    refused request reaches them)."""
    product = make.product(shop=make.shop(), status="draft")
    images = add_photos(product, 2)
    return {"victim": product, "victim_image": images[1]}


# Built once for the module: the access tests aim at it (55 of them each made it, photos included), each test
# rolled back to it.
world_built, app, world = module_world(build_world)


@pytest.fixture
def victim(world):
    """Another producer's shop with a draft listing of two photos: (listing, its second photo)."""
    return world["victim"], world["victim_image"]


def attempt(client, send, method, path, token=True):
    if method == "GET":
        return client.get(path)
    return send(path, {**edit_form_plain(), "stock": "99", "alt_text": "diubah"}, token=token)


def edit_form_plain():
    return product_form(title="Diubah orang lain", price_idr="1.000")


@pytest.mark.parametrize("index", range(14))
def test_anonymous_is_sent_to_login(client, send, victim, index):
    product, image = victim
    method, path = producer_routes(product.id, image.id)[index]
    before = snapshot(product)
    response = attempt(client, send, method, path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert snapshot(product) == before


@pytest.mark.parametrize("role", ["buyer", "admin"])
@pytest.mark.parametrize("index", range(14))
def test_other_roles_are_forbidden(client, auth, send, make_user, victim, role, index):
    product, image = victim
    auth.login(make_user(role).email)
    method, path = producer_routes(product.id, image.id)[index]
    before = snapshot(product)
    assert attempt(client, send, method, path).status_code == 403
    assert snapshot(product) == before


@pytest.mark.parametrize("index", range(5, 14))
def test_another_producers_ids_are_not_found(client, shop, logged_in, send, victim, index):
    product, image = victim
    method, path = producer_routes(product.id, image.id)[index]
    before = snapshot(product)
    assert attempt(client, send, method, path).status_code == 404
    assert snapshot(product) == before


@pytest.mark.parametrize("index", range(10, 14))
def test_another_listings_photo_id_is_not_found_on_my_listing(client, shop, logged_in, send, make_product,
                                                              victim, index):
    mine = make_product(shop=shop, status="draft")
    add_photos(mine, 2)
    theirs, their_image = victim
    method, path = producer_routes(mine.id, their_image.id)[index]
    before_mine, before_theirs = snapshot(mine), snapshot(theirs)
    assert attempt(client, send, method, path).status_code == 404
    assert (snapshot(mine), snapshot(theirs)) == (before_mine, before_theirs)


@pytest.mark.parametrize("index", [i for i, (method, _path) in enumerate(producer_routes(0, 0)) if method == "POST"])
def test_post_without_csrf_token_is_refused(client, shop, logged_in, send, make_product, index):
    product = make_product(shop=shop, status="draft")
    (image,) = add_photos(product, 1) if index >= 10 else (None,)
    method, path = producer_routes(product.id, image.id if image else 0)[index]
    before, shop_before = snapshot(product), (shop.name, shop.whatsapp)
    assert attempt(client, send, method, path, token=False).status_code == 400
    assert snapshot(product) == before
    db.session.expire_all()
    assert (db.session.get(Shop, shop.id).name, db.session.get(Shop, shop.id).whatsapp) == shop_before
    assert count(Product, Product.shop_id == shop.id) == 1


def test_dashboard_links_to_the_public_pages_the_producer_may_see(client, shop, logged_in, make_product):
    product = make_product(shop=shop, status="draft")
    body = client.get("/dashboard").get_data(as_text=True)
    assert f'href="/toko/{shop.slug}"' in body
    assert f'href="/toko/{shop.slug}/{product.slug}"' in body
    assert client.get(f"/toko/{shop.slug}/{product.slug}").status_code == 200  # a draft, seen by its producer


@pytest.mark.parametrize("product_id", ["0", "2147483648", "99999999999999999999999"])
def test_ids_no_column_can_hold_are_not_found(client, shop, logged_in, send, product_id):
    assert client.get(f"/dashboard/products/{product_id}/edit").status_code == 404
    assert send(f"/dashboard/products/{product_id}/stock", {"stock": "1"}).status_code == 404
    assert send(f"/dashboard/products/{product_id}/photos/{product_id}/delete").status_code == 404


def test_the_web_address_field_says_what_it_is_and_previews_the_link(app, client, shop, logged_in):
    page = client.get("/dashboard/shop").get_data(as_text=True)
    assert "Alamat web toko (tautan)" in page and "Bukan alamat jalan" in page
    assert f'{app.config["SITE_URL"]}/toko/{shop.slug}</output>' in page


def test_changing_the_web_address_keeps_the_old_link_working(client, shop, logged_in, send):
    old = shop.slug
    response = send("/dashboard/shop", shop_form(name=shop.name, slug="Jl. Poros Loa Kulu km 20"))
    assert response.status_code == 302
    moved = client.get(f"/toko/{old}")
    assert moved.status_code == 301 and moved.headers["Location"] == "/toko/jl-poros-loa-kulu-km-20"


# --- a change to an approved listing waits for an admin ----------------------------------------------------

def public_pages(app, product):
    """Every public page that shows the listing, as an anonymous visitor gets it (the index drained on commit)."""
    visitor = app.test_client()
    shop = product.shop
    paths = ["/", f"/toko/{shop.slug}", f"/toko/{shop.slug}/{product.slug}", "/kategori/madu",
             f"/kecamatan/{shop.district_code}", "/search?q=madu", "/api/v1/search?q=madu"]
    pages = {}
    for path in paths:
        response = visitor.get(path)
        assert response.status_code == 200, path
        pages[path] = response.get_data(as_text=True)
    return pages


def approved_with_photo(make_product, shop, **fields):
    stored = catalogue.process_photos([jpeg_bytes(colour=(1, 2, 3))], get_storage()).images[0]
    return make_product(shop=shop, title="Madu Kelulut Asli", description="Madu trigona dari kebun karet.",
                        photos=[stored], **fields), stored


def test_an_edit_of_an_approved_listing_is_public_only_once_an_admin_confirms_it(app, client, shop, logged_in,
                                                                                 send, make_product, make_user):
    app.config["HOME_PAGE_CACHE_SECONDS"] = 0
    product, old_photo = approved_with_photo(make_product, shop)
    response = send(f"/dashboard/products/{product.id}/edit", product_form(
        title="Madu Ajaib Penyembuh", description="Menyembuhkan kanker dalam sehari.", price_idr="99.000",
        pirt_number="2066402010123-25", photo=file(jpeg_bytes((800, 600), (200, 10, 10)), "baru.jpg")))
    assert response.status_code == 302
    db.session.expire_all()
    new_photo = product.pending_edit.images[-1].content_hash
    product_page = f"/toko/{shop.slug}/{product.slug}"
    pages = public_pages(app, product)
    for path, html in pages.items():
        for unreviewed in ("Ajaib", "kanker", "206640201012325", "2066402010123-25", new_photo):
            assert unreviewed not in html, (path, unreviewed)
    assert "<h1>Madu Kelulut Asli</h1>" in pages[product_page] and old_photo.content_hash in pages[product_page]
    assert '<meta name="description" content="Madu Kelulut Asli dari' in pages[product_page]
    assert "Rp99.000" in pages[product_page]  # the price is not reviewed: it applies at once

    # The producer sees their change, and that it waits.
    form = client.get(f"/dashboard/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="Madu Ajaib Penyembuh"' in form and "Menyembuhkan kanker" in form and new_photo in form
    assert "menunggu peninjauan" in form
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Madu Ajaib Penyembuh" in dashboard and "Perubahan menunggu peninjauan" in dashboard
    own_page = client.get(product_page).get_data(as_text=True)
    assert "<h1>Madu Kelulut Asli</h1>" in own_page and "Perubahan Anda menunggu peninjauan admin" in own_page

    # A second edit before the review replaces the first.
    response = send(f"/dashboard/products/{product.id}/edit", product_form(
        title="Madu Kelulut Super", description="Madu trigona dari kebun karet.", price_idr="99.000",
        stock=str(product.stock)))
    assert response.status_code == 302
    db.session.expire_all()
    assert count(ProductEdit) == 1 and product.pending_edit.title == "Madu Kelulut Super"
    assert [i.content_hash for i in product.pending_edit.images] == [old_photo.content_hash, new_photo]

    moderation.confirm_change(product, make_user("admin"))
    db.session.commit()
    pages = public_pages(app, product)
    product_page = f"/toko/{shop.slug}/madu-kelulut-super"
    assert product.slug == "madu-kelulut-super" and count(ProductEdit) == count(ProductEditImage) == 0
    assert "<h1>Madu Kelulut Super</h1>" in pages[product_page] and new_photo in pages[product_page]
    assert [item["title"] for item in json.loads(pages["/api/v1/search?q=madu"])["items"]] == ["Madu Kelulut Super"]


HOSTILE_EDITS = [
    {"title": "x" * 100_000},
    {"description": "Ajaib " * 1_000},
    {"title": "Madu\x00\x1b[31m Ajaib <script>alert(1)</script>"},
    {"description": "Ajaib\u202e\x07\x08 penyembuh\r\n" * 3},
    {"pirt_number": "1" * 16},
    {"category_id": "9" * 30},
    {"halal_expires_on": "2030-02-30"},
    {"photo": file(b"\xff\xd8\xff" + b"Ajaib" * 200_000, "ajaib.jpg")},
]


@pytest.mark.parametrize("changes", HOSTILE_EDITS, ids=range(len(HOSTILE_EDITS)))
def test_hostile_edits_of_an_approved_listing_change_nothing_public(app, shop, logged_in, send, make_product,
                                                                    changes):
    product, _photo = approved_with_photo(make_product, shop)
    public = public_pages(app, product)
    before = snapshot(product)
    unreviewed = {"price_idr": "50.000", "stock": str(product.stock), "unit": "250 ml", "weight_g": "300"}
    response = send(f"/dashboard/products/{product.id}/edit", product_form(**{**unreviewed, **changes}))
    assert response.status_code in (302, 422)
    db.session.expire_all()
    after = snapshot(product)
    # Only the flag may differ: a valid (cleaned) change waits for review.
    assert after[:5] == before[:5] and after[6] == before[6]
    for path, html in public_pages(app, product).items():
        assert "Ajaib" not in html and "alert(1)" not in html, path
        assert html.count("Madu Kelulut Asli") == public[path].count("Madu Kelulut Asli"), path


def test_a_change_that_comes_back_to_the_approved_version_leaves_nothing_to_review(shop, logged_in, send,
                                                                                   make_product):
    product, _photo = approved_with_photo(make_product, shop)
    send(f"/dashboard/products/{product.id}/edit", product_form(title="Madu Kelulut Baru", stock=str(product.stock),
                                                                 description=product.description))
    db.session.expire_all()
    assert product.pending_edit is not None and product.changed_since_approval
    send(f"/dashboard/products/{product.id}/edit", product_form(title="Madu Kelulut Asli", stock=str(product.stock),
                                                                 description=product.description))
    db.session.expire_all()
    assert product.pending_edit is None and not product.changed_since_approval and count(ProductEdit) == 0


def test_photo_buttons_of_an_approved_listing_change_the_waiting_gallery_only(app, client, shop, logged_in, send,
                                                                              make_product):
    product, old_photo = approved_with_photo(make_product, shop)
    [image] = product.images
    response = send(f"/dashboard/products/{product.id}/photos/{image.id}/alt", {"alt_text": "Botol Ajaib"})
    assert response.status_code == 302
    db.session.expire_all()
    [waiting] = product.pending_edit.images
    assert waiting.alt_text == "Botol Ajaib" and product.images[0].alt_text == "Madu Kelulut Asli"
    assert "Botol Ajaib" not in public_pages(app, product)[f"/toko/{shop.slug}/{product.slug}"]
    # The buttons now name the waiting gallery's photos; any other id is not found.
    assert send(f"/dashboard/products/{product.id}/photos/{waiting.id + 1}/delete", {}).status_code == 404
    assert send(f"/dashboard/products/{product.id}/photos/{waiting.id}/delete", {}).status_code == 302
    db.session.expire_all()
    assert product.pending_edit.images == [] and [i.content_hash for i in product.images] == [old_photo.content_hash]
