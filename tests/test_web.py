"""The request helpers every feature shares (marketplace/web.py) and the text rules (marketplace/text.py)."""
import pytest
from werkzeug.exceptions import NotFound

from marketplace.text import has_control, one_line, plain_text
from marketplace.web import page_number, safe_next
from tests.conftest import TEST_PASSWORD, csrf_token

HOSTILE_PAGES = ["0", "-1", "", "abc", "1.5", " 1", "1e3", "1000000000", "9" * 5000, "\u0663", "²", "1\x00"]


@pytest.mark.parametrize("raw, expected", [(None, 1), ("1", 1), ("7", 7), ("000002", 2), ("100000", 100000)])
def test_page_number_reads_whole_page_numbers(app, raw, expected):
    query = {} if raw is None else {"page": raw}
    with app.test_request_context("/", query_string=query):
        assert page_number() == expected == page_number(strict=True)


@pytest.mark.parametrize("raw", HOSTILE_PAGES)
def test_page_number_takes_junk_as_page_one_or_404_when_strict(app, raw):
    with app.test_request_context("/", query_string={"page": raw}):
        assert page_number() == 1
        with pytest.raises(NotFound):
            page_number(strict=True)


def test_page_number_past_the_end_is_the_last_page(app):
    with app.test_request_context("/?page=9"):
        assert page_number(last=3) == 3
    with app.test_request_context("/?page=2"):
        assert page_number(last=3) == 2


@pytest.mark.parametrize("target, expected", [
    ("/account/password", "/account/password"), ("/toko/a?page=2", "/toko/a?page=2"),
    ("https://evil.example/", "/"), ("//evil.example/", "/"), ("/\\evil.example", "/"), ("javascript:x", "/"),
    ("/x\r\nSet-Cookie: a=b", "/"), ("/x\nLocation: //evil.example", "/"), ("/x\x00", "/"), ("/x\ty", "/"),
    ("/x\x85", "/"),
])
def test_safe_next_keeps_only_plain_paths_of_this_site(app, target, expected):
    with app.test_request_context("/", query_string={"next": target}):
        assert safe_next() == expected


@pytest.mark.parametrize("target", ["/cart%0D%0ASet-Cookie:%20x=1", "/cart%0A", "/%0D"])
def test_login_with_a_line_break_in_next_redirects_home_not_500(client, make_user, target):
    user = make_user()
    response = client.post(f"/login?next={target}",
                           data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Set-Cookie: x" not in str(response.headers)


def test_cart_add_with_a_line_break_in_next_redirects_to_the_cart(client, make_product):
    product = make_product()
    token = csrf_token(client, "/login")
    response = client.post("/cart/add?next=/toko%0D%0AX-Evil:%201",
                           data={"product_id": product.id, "quantity": "1", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    assert "X-Evil" not in response.headers


def test_plain_text_keeps_paragraphs_and_drops_control_characters():
    assert plain_text("  Madu\r\nasli\rkelulut\x00\x1b[31m\x85 \t ") == "Madu\nasli\nkelulut[31m"
    assert plain_text(None) == "" and plain_text(42) == "42"
    assert one_line(" Madu \n\n  kelulut\t250 ml ") == "Madu kelulut 250 ml"
    assert has_control("a\nb") and has_control("a\x7fb") and has_control("a\x9fb") and not has_control("Madu é")
