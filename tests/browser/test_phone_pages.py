"""Every page type on a 360 px phone: nothing scrolls sideways, buttons and fields are big enough to tap, and
axe-core finds no accessibility violation.

PHONE_SCREENSHOTS=<folder> also saves a full-page screenshot of each, to look at."""
import json
import os
from importlib import resources
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.phone_pages import log_in, seed

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
TAP_MIN_PX = 44
# Why the page is wider than the screen: the elements that stick out, for the failure message.
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0) {
      out.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "") +
               " right=" + Math.round(box.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, viewport: window.innerWidth, out: out.slice(0, 8)};
}"""
# Buttons, fields and button-like links shorter than a finger (visible ones only; inline text links are exempt).
SMALL_TARGETS = """(min) => {
  const out = [];
  const targets = document.querySelectorAll(
    "main button, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main select, " +
    "main a.button, header button, header input, header select");
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && box.height < min - 0.5 && !el.closest(".visually-hidden")) {
      out.push(el.tagName.toLowerCase() + " '" + (el.textContent || el.name || "").trim().slice(0, 30) + "' " +
               Math.round(box.height) + "px");
    }
  }
  return out;
}"""


# axe-core as shipped by the axe-playwright-python package (MPL-2.0), run in the page through Playwright's
# evaluate (the site's Content-Security-Policy allows no injected <script>, and needs not to).
AXE_SOURCE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => v.id + " (" + v.impact + "): " +
    v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


def accessibility_violations(page):
    """Every axe-core violation on the page, as 'rule (impact): first elements'."""
    page.evaluate(AXE_SOURCE)
    return page.evaluate(AXE_RUN)


@pytest.fixture(scope="module")
def marketplace(live_server):
    return seed(live_server)


@pytest.fixture(scope="module")
def signed_in(browser, browser_context_args, marketplace):
    """{role: the cookies of that role's person, logged in once through the real form}: the module's phones start
    from them instead of logging in again for every page check."""
    states = {}
    for role in ("buyer", "producer", "admin"):
        context = browser.new_context(**browser_context_args)
        page = context.new_page()
        log_in(page, getattr(marketplace, role))
        page.goto(marketplace.pages[role][0][1])
        assert "/login" not in page.url, f"the {role} could not log in"
        states[role] = context.storage_state()
        context.close()
    return states


def phone(new_context, signed_in, role="visitor", **settings):
    """A page in a new browser context with the phone's screen, logged in as role (unless a visitor)."""
    if role != "visitor":
        settings["storage_state"] = signed_in[role]
    return new_context(**{"viewport": PHONE, **settings}).new_page()


@pytest.mark.parametrize("role", ["visitor", "buyer", "producer", "admin"])
def test_every_page_fits_a_360px_phone(new_context, signed_in, marketplace, role):
    page = phone(new_context, signed_in, role)
    if role == "buyer":  # something in the cart, so the cart and checkout show their tables and forms
        page.goto(dict(marketplace.pages["visitor"])["product"])
        page.get_by_role("button", name="Tambah ke keranjang").click()
    problems = {}
    for name, path in marketplace.pages[role]:
        page.goto(path)
        assert role == "visitor" or "/login" not in page.url, f"{name}: the {role} was sent to log in"
        if os.environ.get("PHONE_SCREENSHOTS"):
            page.screenshot(path=Path(os.environ["PHONE_SCREENSHOTS"]) / f"{role}-{name}.png", full_page=True)
        width = page.evaluate(WIDER_THAN_SCREEN)
        small = page.evaluate(SMALL_TARGETS, TAP_MIN_PX)
        axe = accessibility_violations(page)
        if width["scroll"] != width["viewport"] or small or axe:
            problems[name] = {"width": width, "small targets": small, "axe": axe}
    assert problems == {}, json.dumps(problems, indent=1)


def test_search_results_come_first_on_a_phone_two_cards_to_a_row(new_context, marketplace):
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/search?q=madu+{marketplace.token}&category=madu&in_stock=1")
    summary = page.locator("details.search-side > summary")
    expect(summary).to_have_text("Filter (2)")
    expect(page.get_by_label("Harga dari (Rp)")).to_be_hidden()
    cards = page.locator(".grid .card")
    expect(cards).to_have_count(3)
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first["y"] == second["y"] and first["x"] < second["x"]  # two to a row
    assert first["y"] < PHONE["height"]  # the first results are on the first screen
    summary.click()
    expect(page.get_by_role("search", name="Saring pencarian")).to_be_visible()


def test_the_product_page_shows_title_price_shipping_and_buy_button_in_the_first_screen(new_context, marketplace):
    screen = {"width": 412, "height": 823}
    page = new_context(viewport=screen).new_page()
    page.goto(dict(marketplace.pages["visitor"])["product"])
    photo = page.locator("img.main")
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalHeight > img.naturalWidth")  # a real 3:4 photo
    assert photo.bounding_box()["height"] >= 0.4 * screen["height"]  # not shrunk to nothing
    if os.environ.get("PHONE_SCREENSHOTS"):
        page.screenshot(path=Path(os.environ["PHONE_SCREENSHOTS"]) / "product-first-screen-412.png")
    for part in (page.get_by_role("heading", level=1), page.locator(".facts .price"),
                 page.get_by_text("Ongkos kirim Rp15.000 per pesanan"),
                 page.get_by_role("button", name="Tambah ke keranjang")):
        box = part.bounding_box()
        assert box["y"] + box["height"] <= screen["height"], part


def test_the_packing_slip_has_a_print_button_with_javascript_only(new_context, signed_in, marketplace):
    path = dict(marketplace.pages["producer"])["packing-slip"]
    for javascript in (True, False):
        page = phone(new_context, signed_in, "producer", java_script_enabled=javascript)
        page.goto(path)
        button = page.get_by_role("button", name="Cetak slip")
        expect(button).to_be_visible() if javascript else expect(button).to_be_hidden()


def test_choosing_a_district_fills_the_shop_forms_villages_without_a_reload(new_context, signed_in):
    page = phone(new_context, signed_in, "producer")
    page.goto("/dashboard/shop")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Kecamatan").select_option("64.02.06")  # Tenggarong
    expect(page.get_by_label("Desa/kelurahan").locator("option", has_text="Bukit Biru")).to_be_attached()
    assert page.evaluate("window.notReloaded === true")
    expect(page.get_by_role("button", name="Tampilkan desa di kecamatan ini")).not_to_be_in_viewport()
