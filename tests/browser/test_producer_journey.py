"""A producer goes from registration to an approved listing with a photo, in a real Chromium, with and
without JavaScript. With JavaScript the photo is shrunk in the browser before it is sent."""
import functools
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.service import find_user_by_email
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.media.service import variant_key
from marketplace.moderation import service as moderation
from tests.browser.test_accounts_journey import watch_console
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def phone_photo(path, size=(3000, 2000)):
    """A 6 MP JPEG with some grain, as a phone camera makes it, written to path."""
    path.write_bytes(_phone_photo_bytes(size))
    return path


@functools.lru_cache(maxsize=None)
def _phone_photo_bytes(size):
    """Drawn once per test process and size (a second of CPU each time): every journey uploads the same photo."""
    grain = [Image.effect_noise(size, 12).point(lambda v, i=i: (v + 60 * i) % 256) for i in range(3)]
    buffer = io.BytesIO()
    Image.merge("RGB", grain).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def register_producer(page, email, live_server):
    page.goto("/register")
    page.get_by_label("Nama lengkap").fill("Ibu Sumiati")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Nomor HP").fill("0812 5501 0001")
    page.get_by_label("Berjualan").check()
    page.get_by_label("Kata sandi", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Daftar").click()
    expect(page.get_by_role("heading", name="Periksa email Anda")).to_be_visible()
    page.goto(live_server.emailed_link(email, "/account/verify/"))


def open_shop(page, shop_name):
    page.get_by_role("link", name="Buka toko").click()
    page.wait_for_load_state("load")  # the form's scripts are in place before the district is chosen
    page.get_by_label("Nama toko", exact=True).fill(shop_name)
    page.get_by_label("Cerita toko").fill("Kami memelihara lebah kelulut.\n\nMadu dipanen sendiri.")
    page.get_by_label("Kecamatan").select_option(label="Loa Kulu")
    refresh = page.get_by_role("button", name="Tampilkan desa di kecamatan ini")
    if refresh.evaluate("b => b.getBoundingClientRect().width > 1"):  # without JavaScript: reload the form
        refresh.click()
    expect(page.get_by_label("Nama toko", exact=True)).to_have_value(shop_name)  # nothing typed is lost
    page.get_by_label("Desa/kelurahan").select_option(label="Jembayan")
    page.get_by_label("Nomor WhatsApp").fill("0812 5501 0001")
    page.get_by_label("Ongkos kirim (Rp)").fill("Rp 15.000")
    page.get_by_label("Pembeli boleh mengambil sendiri").check()
    page.get_by_role("button", name="Buka toko").click()


def create_listing(page, title, photo, javascript):
    page.get_by_role("link", name="Tambah produk").click()
    page.get_by_label("Nama produk").fill(title)
    page.get_by_label("Deskripsi").fill("Madu trigona, rasa asam manis.\n\n<b>Tanpa campuran.</b>")
    page.get_by_label("Kategori").select_option(label="Madu")
    page.get_by_label("Harga (Rp)").fill("Rp 125.000")
    page.get_by_label("Stok", exact=True).fill("12")
    page.get_by_label("Satuan/ukuran").fill("1 botol 250 ml")
    page.get_by_label("Berat kirim (gram)").fill("350")
    page.get_by_label("Tambah foto").set_input_files(photo)
    page.get_by_label("Keterangan foto baru").fill("Botol madu kelulut di meja kayu")
    if javascript:
        expect(page.get_by_label("Tambah foto")).to_have_attribute("data-shrink-state", "done")
        expect(page.locator("#photo-shrink-status")).to_have_text("Foto sudah dikecilkan, siap dikirim.")
        assert (chosen_file(page, "photo")["width"], chosen_file(page, "photo")["height"]) == (2048, 1365)
    page.get_by_role("button", name="Simpan draf").click()


def chosen_file(page, input_id):
    """Size, type, name and pixel dimensions of the file a file input now holds."""
    return page.evaluate("""async (inputId) => {
        const file = document.getElementById(inputId).files[0];
        const bitmap = await createImageBitmap(file);
        return {size: file.size, type: file.type, name: file.name, width: bitmap.width, height: bitmap.height};
    }""", input_id)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_producer_from_registration_to_approved_listing(new_context, live_server, tmp_path, javascript):
    page = new_context(java_script_enabled=javascript).new_page()
    problems = watch_console(page)
    email = f"sumiati-{uuid.uuid4().hex[:8]}@example.com"
    shop_name = f"Madu Kelulut {uuid.uuid4().hex[:6]}"
    title = f"Madu Kelulut Asli {uuid.uuid4().hex[:6]}"
    photo = phone_photo(tmp_path / "IMG_2024.jpg")

    register_producer(page, email, live_server)
    expect(page).to_have_url(live_server.url + "/dashboard")
    expect(page.get_by_text("Anda belum membuka toko")).to_be_visible()

    open_shop(page, shop_name)
    expect(page.get_by_role("status")).to_contain_text("Toko Anda sudah dibuka")
    expect(page.get_by_role("heading", name=shop_name)).to_be_visible()
    expect(page.get_by_text("Jembayan, Loa Kulu")).to_be_visible()

    create_listing(page, title, str(photo), javascript)
    expect(page.get_by_role("status")).to_contain_text("Draf produk sudah disimpan")
    expect(page.get_by_alt_text("Botol madu kelulut di meja kayu")).to_be_visible()

    page.get_by_role("button", name="Ajukan untuk ditinjau").click()
    expect(page).to_have_url(live_server.url + "/dashboard")
    listing = page.locator("li.listing", has_text=title)
    expect(listing.get_by_text("Menunggu tinjauan")).to_be_visible()

    admin_email = live_server.make_user("admin")
    image_hash = live_server.run(approve, title, admin_email)
    page.reload()
    expect(listing.get_by_text("Disetujui")).to_be_visible()
    expect(listing.get_by_text("Menunggu tinjauan")).to_have_count(0)
    media = Path(live_server.app.config["MEDIA_ROOT"])
    assert all((media / variant_key(image_hash, size)).is_file() for size in (320, 640, 1280))
    assert problems == []


def approve(title, admin_email):
    """The admin approves the listing (moderation screens are another feature); returns its photo's hash."""
    product = db.session.scalar(select(Product).where(Product.title == title))
    assert product.status == "pending" and len(product.images) == 1
    moderation.approve_product(product, find_user_by_email(admin_email))
    return product.images[0].content_hash


def test_photo_is_shrunk_in_the_browser_before_sending(page, live_server, tmp_path):
    photo = phone_photo(tmp_path / "IMG_2025.jpg")
    email = live_server.make_user("producer")
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto("/dashboard/shop")
    page.get_by_label("Logo toko").set_input_files(str(photo))
    expect(page.get_by_label("Logo toko")).to_have_attribute("data-shrink-state", "done")
    shrunk = chosen_file(page, "logo")
    assert (shrunk["type"], shrunk["name"]) == ("image/jpeg", "IMG_2025.jpg")
    assert (shrunk["width"], shrunk["height"]) == (2048, 1365)
    assert shrunk["size"] < photo.stat().st_size
    with Image.open(io.BytesIO(photo.read_bytes())) as original:
        assert original.size == (3000, 2000)
