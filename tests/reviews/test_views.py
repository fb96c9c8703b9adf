"""Review pages: wiring, access by role and owner, hostile input, CSRF. Every refusal changes nothing."""
import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.moderation.models import ModerationDecision
from marketplace.reviews import service
from marketplace.reviews.models import Review
from tests.conftest import csrf_token
from tests.pages import page_html
from tests.reviews.conftest import build_world, reviews_of
from tests.worlds import module_world

# A completed item, a review and an admin built once for the module, each test rolled back to them.
world_built, app, world = module_world(build_world)


def _write_url(item):
    return f"/orders/{item.shop_order.order.code}/items/{item.id}/review"


def _text(response):
    return response.get_data(as_text=True)


# ---- the buyer's review form ------------------------------------------------------------------------------

def test_buyer_writes_a_review_with_radio_stars(login, world):
    item = world["item"]
    client = login(item.shop_order.order.buyer)
    page = client.get(_write_url(item))
    assert page.status_code == 200
    html = _text(page)
    assert len(re.findall(r'<input[^>]*name="rating"[^>]*type="radio"', html)) == 5
    assert 'name="csrf_token"' in html and item.title in html
    response = client.post(_write_url(item), data={"rating": "4", "body": "Madunya asli.",
                                                   "csrf_token": csrf_token(client, _write_url(item))})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{item.shop_order.order.code}")
    review = db.session.scalar(select(Review).where(Review.product_id == item.product_id))
    assert (review.rating, review.body, review.order_item_id) == (4, "Madunya asli.", item.id)
    assert "Terima kasih" in _text(client.get("/"))
    again = client.get(_write_url(item))
    assert "Ulasan Anda" in _text(again) and 'name="rating"' not in _text(again)


def test_second_post_is_refused_with_409(login, world):
    item = world["item"]
    client = login(item.shop_order.order.buyer)
    token = csrf_token(client, _write_url(item))
    assert client.post(_write_url(item), data={"rating": "5", "csrf_token": token}).status_code == 302
    response = client.post(_write_url(item), data={"rating": "1", "body": "lagi", "csrf_token": token})
    assert response.status_code == 409 and "sudah mengulas" in _text(response)
    assert db.session.scalar(select(Review.rating).where(Review.product_id == item.product_id)) == 5
    assert reviews_of(item.product_id) == 1


def test_review_before_completion_shows_why_and_refuses_the_post(login, make_order):
    order = make_order()
    item = order.shop_orders[0].items[0]
    client = login(order.buyer)
    page = client.get(_write_url(item))
    assert page.status_code == 409 and "setelah pesanan selesai" in _text(page)
    token = csrf_token(client, "/")
    response = client.post(_write_url(item), data={"rating": "5", "csrf_token": token})
    assert response.status_code == 409 and "setelah pesanan selesai" in _text(response)
    assert reviews_of(item.product_id) == 0


@pytest.mark.parametrize("rating", ["", "0", "6", "-1", "4.5", "lima", "9" * 400, "5\x00", None])
def test_hostile_ratings_are_refused_with_422(login, world, rating):
    item = world["item"]
    client = login(item.shop_order.order.buyer)
    data = {"body": "ok", "csrf_token": csrf_token(client, _write_url(item))}
    if rating is not None:
        data["rating"] = rating
    response = client.post(_write_url(item), data=data)
    assert response.status_code == 422
    assert 'class="error"' in _text(response)
    assert reviews_of(item.product_id) == 0


def test_too_long_body_is_refused_and_kept_in_the_form(login, world):
    item = world["item"]
    client = login(item.shop_order.order.buyer)
    response = client.post(_write_url(item), data={"rating": "5", "body": "<b>x</b>" * 300,
                                                   "csrf_token": csrf_token(client, _write_url(item))})
    assert response.status_code == 422 and "&lt;b&gt;x&lt;/b&gt;" in _text(response)
    assert reviews_of(item.product_id) == 0


def test_another_buyers_item_or_a_wrong_code_is_404(login, world, make_user, make_order):
    item = world["item"]
    mine = make_order()
    client = login(make_user("buyer"))
    assert client.get(_write_url(item)).status_code == 404
    other = login(mine.buyer)
    assert other.get(_write_url(item)).status_code == 404
    # A real item id under the buyer's own order code is still someone else's item.
    assert other.get(f"/orders/{mine.code}/items/{item.id}/review").status_code == 404
    token = csrf_token(other, "/")
    assert other.post(_write_url(item), data={"rating": "5", "csrf_token": token}).status_code == 404
    assert other.get(f"/orders/{'x' * 5000}/items/{item.id}/review").status_code == 404
    assert other.get(f"/orders/{mine.code}/items/99999999999/review").status_code == 404
    assert reviews_of(item.product_id) == 0


def test_anonymous_is_sent_to_login(client, world):
    item = world["item"]
    response = client.get(_write_url(item))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- the producer's replies ---------------------------------------------------------------------------------

def test_producer_lists_and_answers_reviews_of_their_shop(login, make_review):
    review = make_review(rating=3, body="Agak encer")
    client = login(review.shop.owner)
    page = client.get("/dashboard/reviews")
    assert page.status_code == 200 and "Agak encer" in _text(page) and f"reply-{review.id}" in _text(page)
    token = csrf_token(client, "/dashboard/reviews")
    response = client.post(f"/dashboard/reviews/{review.id}/reply", data={"text": "Maaf, kami perbaiki.",
                                                                         "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#review-{review.id}")
    db.session.refresh(review)
    assert review.reply == "Maaf, kami perbaiki."
    page = _text(client.get("/dashboard/reviews"))
    assert "Maaf, kami perbaiki." in page and f"reply-{review.id}" not in page


def test_second_reply_is_refused_with_409(login, world):
    review = world["review"]
    client = login(review.shop.owner)
    token = csrf_token(client, "/dashboard/reviews")
    url = f"/dashboard/reviews/{review.id}/reply"
    assert client.post(url, data={"text": "Pertama", "csrf_token": token}).status_code == 302
    response = client.post(url, data={"text": "Kedua", "csrf_token": token})
    assert response.status_code == 409 and "sudah Anda balas" in _text(response)
    db.session.refresh(review)
    assert review.reply == "Pertama"


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, None])
def test_empty_or_huge_reply_is_refused_with_422(login, world, text):
    review = world["review"]
    client = login(review.shop.owner)
    data = {"csrf_token": csrf_token(client, "/dashboard/reviews")}
    if text is not None:
        data["text"] = text
    response = client.post(f"/dashboard/reviews/{review.id}/reply", data=data)
    assert response.status_code == 422 and f'id="reply-{review.id}-error"' in _text(response)
    db.session.refresh(review)
    assert not review.has_reply


def test_another_shops_review_is_404_for_a_producer(login, make_review, make_shop):
    review = make_review(body="Rahasia toko lain")
    client = login(make_shop().owner)
    assert "Rahasia toko lain" not in page_html(client, "/dashboard/reviews")
    response = client.post(f"/dashboard/reviews/{review.id}/reply",
                           data={"text": "Bukan milik saya", "csrf_token": csrf_token(client, "/dashboard/reviews")})
    assert response.status_code == 404
    db.session.refresh(review)
    assert not review.has_reply


def test_producer_without_a_shop_sees_how_to_open_one(login, make_user):
    response = login(make_user("producer")).get("/dashboard/reviews")
    assert response.status_code == 200 and "/dashboard/shop" in _text(response)


# ---- the admins' list -------------------------------------------------------------------------------------

def test_admin_lists_newest_first_filters_and_hides(login, make_review, make_user):
    old = make_review(body="Ulasan lama")
    new = make_review(body="Ulasan baru")
    client = login(make_user("admin"))
    page = _text(client.get("/admin/reviews"))
    assert page.index("Ulasan baru") < page.index("Ulasan lama")
    assert 'href="/admin/reviews" aria-current="page"' in page
    response = client.post(f"/admin/reviews/{old.id}/hide",
                           data={"reason": "Menyebut nomor HP", "csrf_token": csrf_token(client, "/admin/reviews")})
    assert response.status_code == 302
    db.session.refresh(old)
    assert old.hidden and old.hidden_reason == "Menyebut nomor HP"
    hidden = _text(client.get("/admin/reviews?status=hidden"))
    assert "Ulasan lama" in hidden and "Ulasan baru" not in hidden and "Menyebut nomor HP" in hidden
    visible = _text(client.get("/admin/reviews?status=visible"))
    assert "Ulasan baru" in visible and "Ulasan lama" not in visible
    assert not new.hidden


@pytest.mark.parametrize("query", ["status=semua", "status=" + "x" * 5000, "page=0", "page=abc", "page=" + "9" * 50])
def test_bad_admin_filters_are_422(login, world, query):
    assert login(world["admin"]).get(f"/admin/reviews?{query}").status_code == 422


def test_hide_twice_is_409_and_logged_once(login, world):
    review = world["review"]
    client = login(world["admin"])
    token = csrf_token(client, "/admin/reviews")
    url = f"/admin/reviews/{review.id}/hide"
    assert client.post(url, data={"reason": "Spam", "csrf_token": token}).status_code == 302
    response = client.post(url, data={"reason": "Lagi", "csrf_token": token})
    assert response.status_code == 409 and "sudah disembunyikan" in _text(response)
    assert db.session.scalar(select(func.count()).where(ModerationDecision.review_id == review.id)) == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001, None])
def test_hide_without_a_sensible_reason_is_422(login, world, reason):
    review = world["review"]
    client = login(world["admin"])
    data = {"csrf_token": csrf_token(client, "/admin/reviews")}
    if reason is not None:
        data["reason"] = reason
    response = client.post(f"/admin/reviews/{review.id}/hide", data=data)
    assert response.status_code == 422 and f'id="reason-{review.id}-error"' in _text(response)
    db.session.refresh(review)
    assert not review.hidden


def test_hiding_a_missing_review_is_404(login, make_user):
    client = login(make_user("admin"))
    token = csrf_token(client, "/admin/reviews")
    assert client.post("/admin/reviews/99999/hide", data={"reason": "x", "csrf_token": token}).status_code == 404


def test_audit_page_shows_the_hidden_review_decision(login, make_review, make_user):
    review = make_review()
    admin = make_user("admin", name="Admin Sari")
    service.hide_review(admin, review, "Berisi iklan")
    db.session.commit()
    client = login(admin)
    page = _text(client.get("/admin/audit?action=review_hidden"))
    assert "Ulasan disembunyikan" in page and "Berisi iklan" in page and review.product.title in page
    assert "Admin Sari" in page
    assert 'value="review_hidden"' in page


# ---- access by role -------------------------------------------------------------------------------------

ROLE_ROUTES = [("get", "/dashboard/reviews", "producer"), ("get", "/admin/reviews", "admin"),
               ("post", "/dashboard/reviews/{id}/reply", "producer"), ("post", "/admin/reviews/{id}/hide", "admin")]


@pytest.mark.parametrize("method, path, allowed", ROLE_ROUTES)
@pytest.mark.parametrize("role", ["anonymous", "buyer", "producer", "admin"])
def test_routes_by_role(client, login, world, method, path, allowed, role):
    review = world["review"]
    url = path.format(id=review.id)
    if role != "anonymous":
        user = {"producer": review.shop.owner, "buyer": review.buyer, "admin": world["admin"]}[role]
        login(user)
    token = csrf_token(client, "/" if role != "anonymous" else "/login")
    response = getattr(client, method)(url, data={"text": "x", "reason": "x", "csrf_token": token}) \
        if method == "post" else client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif role != allowed:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302)
    db.session.refresh(review)
    if role != allowed:
        assert not review.has_reply and not review.hidden


@pytest.mark.parametrize("path", ["/dashboard/reviews/{id}/reply", "/admin/reviews/{id}/hide"])
def test_post_without_csrf_is_refused(login, world, path):
    review = world["review"]
    client = login(review.shop.owner if "dashboard" in path else world["admin"])
    response = client.post(path.format(id=review.id), data={"text": "x", "reason": "x"})
    assert response.status_code == 400 and "kedaluwarsa" in _text(response)
    db.session.refresh(review)
    assert not review.has_reply and not review.hidden


def test_review_post_without_csrf_is_refused(login, world):
    item = world["item"]
    client = login(item.shop_order.order.buyer)
    response = client.post(_write_url(item), data={"rating": "5"})
    assert response.status_code == 400 and reviews_of(item.product_id) == 0
