"""A producer who forgets the village keeps the logo already chosen, with JavaScript (the photo shrunk in the
browser) and without it; the shop then opens with that logo."""
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.test_accounts_journey import watch_console
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_shop_form_refused_for_its_village_keeps_the_logo(new_context, live_server, tmp_path, javascript):
    logo = tmp_path / "logo.jpg"
    Image.new("RGB", (900, 600), (200, 120, 30)).save(logo, "JPEG")
    email = live_server.make_user("producer")
    page = new_context(java_script_enabled=javascript).new_page()
    problems = watch_console(page)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto("/dashboard/shop")
    page.wait_for_load_state("load")
    name = f"Amplang Logo {uuid.uuid4().hex[:6]}"
    page.get_by_label("Nama toko", exact=True).fill(name)
    page.get_by_label("Kecamatan").select_option(label="Loa Kulu")
    page.get_by_label("Nomor WhatsApp").fill("0812 5501 0003")
    page.get_by_label("Ongkos kirim (Rp)").fill("0")
    page.get_by_label("Logo toko").set_input_files(str(logo))
    if javascript:
        expect(page.get_by_label("Logo toko")).to_have_attribute("data-shrink-state", "done")
    page.get_by_role("button", name="Buka toko").click()  # no village: refused

    expect(page.get_by_text("Pilih desa.")).to_be_visible()
    expect(page.get_by_text("ikut tersimpan")).to_be_visible()
    kept = page.get_by_role("img", name="Logo yang dipilih")
    expect(kept).to_be_visible()
    assert kept.evaluate("img => img.naturalWidth") > 0  # the kept photo is really there
    page.get_by_label("Desa/kelurahan").select_option(label="Jembayan")
    page.get_by_role("button", name="Buka toko").click()

    expect(page.get_by_role("status").first).to_contain_text("Toko Anda sudah dibuka")
    shown = page.get_by_role("img", name=f"Logo {name}")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => [img.naturalWidth, img.width, img.height, img.className]") == [
        320, 96, 64, "logo"]  # a wide logo: shown whole, not cropped to a circle
    assert problems == []
