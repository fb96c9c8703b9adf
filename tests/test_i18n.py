"""Bahasa Indonesia by default, English on request; rupiah and WITA formatting."""
import re
from datetime import datetime, timezone

import pytest
from babel.numbers import format_currency
from flask import render_template_string

from marketplace.i18n import LANG_COOKIE, language_url, rupiah, wita

# These assertions need the English catalogue (marketplace/translations/en), which the lead fills in at the
# end: msgid -> the English text the tests expect. They fail until then.
NEEDS_ENGLISH_CATALOGUE = {
    "Masuk": "Log in",
    "Daftar": "Register",
    "Halaman tidak ditemukan": "Page not found",
}


def page_language(response):
    """The language the page declares on its <html> element."""
    match = re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def lang_cookie(response):
    """The Set-Cookie header for the language cookie, or None."""
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(LANG_COOKIE + "=")]
    return headers[0] if headers else None


def assert_indonesian_login_page(response):
    body = response.get_data(as_text=True)
    assert page_language(response) == "id"
    assert "<h1>Masuk</h1>" in body
    assert "Log in" not in body


def assert_english_login_page(response):
    """English login page; the wording part needs the English catalogue."""
    body = response.get_data(as_text=True)
    assert page_language(response) == "en"
    assert f"<h1>{NEEDS_ENGLISH_CATALOGUE['Masuk']}</h1>" in body  # needs the English catalogue
    assert f">{NEEDS_ENGLISH_CATALOGUE['Daftar']}</a>" in body  # needs the English catalogue
    assert "<h1>Masuk</h1>" not in body


def test_default_is_indonesian(client):
    response = client.get("/login")
    assert_indonesian_login_page(response)
    assert lang_cookie(response) is None


def test_lang_parameter_switches_and_sets_a_cookie(client):
    response = client.get("/login?lang=en")
    assert page_language(response) == "en"
    cookie = lang_cookie(response)
    assert cookie.startswith("lang=en;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Path=/" in cookie


def test_lang_parameter_english_wording(client):
    assert_english_login_page(client.get("/login?lang=en"))


def test_cookie_keeps_the_choice(client):
    client.get("/?lang=en")
    assert client.get_cookie(LANG_COOKIE).value == "en"
    response = client.get("/login")
    assert page_language(response) == "en"
    assert lang_cookie(response) is None  # not set again on every page
    client.get("/?lang=id")
    assert client.get_cookie(LANG_COOKIE).value == "id"
    assert_indonesian_login_page(client.get("/login"))


def test_cookie_beats_accept_language(client):
    client.get("/?lang=id")
    assert_indonesian_login_page(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))


@pytest.mark.parametrize("header", ["en", "en-US,en;q=0.9", "en-GB;q=0.8, fr;q=0.9"])
def test_accept_language_english(client, header):
    response = client.get("/login", headers={"Accept-Language": header})
    assert page_language(response) == "en"
    assert lang_cookie(response) is None


def test_accept_language_english_wording(client):
    assert_english_login_page(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))


@pytest.mark.parametrize("header", ["id-ID,id;q=0.9,en;q=0.5", "fr, de", "", "*", ";;;q=x,,"])
def test_accept_language_otherwise_indonesian(client, header):
    assert_indonesian_login_page(client.get("/login", headers={"Accept-Language": header}))


@pytest.mark.parametrize("value", ["fr", "EN", "en-US", "", "id ", "english"])
def test_unknown_lang_values_are_ignored(client, value):
    response = client.get("/login", query_string={"lang": value})
    assert_indonesian_login_page(response)
    assert lang_cookie(response) is None


def test_unknown_lang_keeps_the_earlier_choice(client):
    client.get("/?lang=en")
    response = client.get("/login?lang=xx")
    assert page_language(response) == "en"
    assert lang_cookie(response) is None
    assert client.get_cookie(LANG_COOKIE).value == "en"


HOSTILE = ["<script>alert(1)</script>", "en\r\nSet-Cookie: admin=1", "en;Path=/;Domain=evil.example",
           "../../../../etc/passwd", "x" * 100_000, "\x00en", "en\u202e"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_lang_parameter_is_harmless(client, value):
    response = client.get("/login", query_string={"lang": value})
    assert response.status_code == 200
    assert_indonesian_login_page(response)
    assert lang_cookie(response) is None
    assert "admin=1" not in str(response.headers)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize("value", HOSTILE[:4], ids=range(4))
def test_hostile_lang_cookie_is_ignored(client, value):
    client.set_cookie(LANG_COOKIE, value)
    response = client.get("/login")
    assert response.status_code == 200
    assert_indonesian_login_page(response)


@pytest.mark.parametrize("amount, expected", [
    (15000, "Rp15.000"), (100_000_000, "Rp100.000.000"), (0, "Rp0"), (999, "Rp999"), (1_000, "Rp1.000"),
])
def test_rupiah(app, amount, expected):
    assert rupiah(amount) == expected


@pytest.mark.parametrize("amount", [0, 1, 12, 999, 1000, 15000, 99999, 1234567, 10**12, -1, -15000, "25000"])
def test_rupiah_is_what_babel_writes_for_indonesian(amount):
    expected = format_currency(int(amount), "IDR", locale="id_ID", format="¤#,##0", currency_digits=False)
    assert rupiah(amount) == expected


def test_rupiah_of_nothing_is_empty():
    assert rupiah(None) == ""


def test_rupiah_is_indonesian_in_english_pages_too(app):
    with app.test_request_context("/?lang=en"):
        assert render_template_string("{{ 15000|rupiah }} {{ none|rupiah }}", none=None) == "Rp15.000 "


@pytest.mark.parametrize("moment, indonesian, english", [
    (datetime(2026, 8, 17, 1, 0, tzinfo=timezone.utc), "17 Agu 2026, 09.00 WITA", "17 Aug 2026, 09.00 WITA"),
    # Naive datetimes are UTC (how UTCDateTime stores them); 17:00 UTC is already the next day in WITA.
    (datetime(2026, 12, 31, 17, 0), "1 Jan 2027, 01.00 WITA", "1 Jan 2027, 01.00 WITA"),
])
def test_wita_shows_utc_times_in_makassar_time(app, moment, indonesian, english):
    with app.app_context(), app.test_request_context("/"):
        assert wita(moment) == indonesian
    with app.app_context(), app.test_request_context("/?lang=en"):
        assert wita(moment) == english


def test_wita_in_a_template(app):
    with app.app_context(), app.test_request_context("/"):
        rendered = render_template_string("{{ moment|wita }}|{{ none|wita }}",
                                          moment=datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc), none=None)
    assert rendered == "2 Mar 2026, 07.59 WITA|"


def test_html_lang_attribute_follows_the_language(client):
    assert page_language(client.get("/")) == "id"
    assert page_language(client.get("/?lang=en")) == "en"


@pytest.mark.parametrize("query, lang, expected", [
    ("", "en", "?lang=en"),
    ("?q=madu+kelulut&page=2", "en", "?q=madu+kelulut&page=2&lang=en"),
    ("?lang=en&q=gula", "id", "?q=gula&lang=id"),
    ("?tag=a&tag=b", "en", "?tag=a&tag=b&lang=en"),
    ("?q=%3Cscript%3E%22", "en", "?q=%3Cscript%3E%22&lang=en"),
])
def test_language_switch_keeps_the_rest_of_the_query(app, query, lang, expected):
    with app.app_context(), app.test_request_context("/cari" + query):
        assert language_url(lang) == expected


def test_template_translations_follow_each_request_and_force_locale(app):
    """Template `_()` is remembered per language: Indonesian, English and forced English in one process
    each get their own wording, in any order, and force_locale inside a request is obeyed."""
    from flask_babel import force_locale

    template = '{{ _("Masuk") }}|{{ _("Daftar") }}'
    for _round in range(2):  # each in its own app context, as a served request is (the language sits in g)
        with app.app_context(), app.test_request_context("/?lang=en"):
            assert render_template_string(template) == "Log in|Register"
        with app.app_context(), app.test_request_context("/"):
            assert render_template_string(template) == "Masuk|Daftar"
            with force_locale("en"):
                assert render_template_string(template) == "Log in|Register"
            assert render_template_string(template) == "Masuk|Daftar"


def test_template_translations_keep_escaping_and_placeholders(app):
    with app.test_request_context("/"):
        html = render_template_string('{{ _("Halo %(name)s", name=who) }}', who="<b>&</b>")
    assert html == "Halo &lt;b&gt;&amp;&lt;/b&gt;"
