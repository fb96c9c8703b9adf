"""A buyer registers, logs out and logs in again in a real Chromium, with and without JavaScript."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def watch_console(page):
    """Collect console errors (a CSP violation shows up there) and server errors.

    Chromium also logs every 4xx answer ("Failed to load resource"); a refused form is one, not a problem."""
    problems = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("response", lambda response: response.status >= 500 and problems.append(response.url))
    return problems


def register_buyer(page, email, live_server):
    """Fill in the registration form as a new buyer."""
    page.goto("/")
    page.get_by_role("link", name="Daftar").click()
    page.get_by_label("Nama lengkap").fill("Ibu Rina")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Nomor HP").fill("0812 3456 7890")
    page.get_by_label("Membeli").check()
    page.get_by_label("Kata sandi", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Daftar").click()
    expect(page.get_by_role("heading", name="Periksa email Anda")).to_be_visible()
    page.goto(live_server.emailed_link(email, "/account/verify/"))


def log_in(page, email, password=TEST_PASSWORD):
    """Fill in the login form on the current page."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_register_logout_login(new_context, live_server, javascript):
    page = new_context(java_script_enabled=javascript).new_page()
    problems = watch_console(page)
    email = f"rina-{uuid.uuid4().hex[:8]}@example.com"

    register_buyer(page, email, live_server)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("status")).to_contain_text("Email Anda sudah terverifikasi")
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()

    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("status")).to_contain_text("Anda sudah keluar")
    expect(page.get_by_role("button", name="Keluar")).to_have_count(0)
    page.get_by_role("link", name="Masuk").click()
    expect(page).to_have_url(live_server.url + "/login")
    page.goto("/account/password")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    log_in(page, email, "a wrong password")
    expect(page.locator("#password-error")).to_contain_text("Email atau kata sandi salah")
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(live_server.url + "/account/password")
    expect(page.get_by_role("heading", name="Ganti kata sandi")).to_be_visible()
    expect(page.get_by_text(f"Masuk sebagai {email}.")).to_be_visible()
    assert problems == []


def test_register_errors_are_shown_next_to_fields(page, live_server):
    problems = watch_console(page)
    page.goto("/register")
    page.get_by_label("Email").fill(f"nina-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Kata sandi", exact=True).fill("short")
    page.get_by_label("Ulangi kata sandi").fill("short")
    page.get_by_role("button", name="Daftar").click()
    expect(page.get_by_label("Kata sandi", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_contain_text("10")
    expect(page.locator("#name-error")).to_be_visible()
    assert problems == []
