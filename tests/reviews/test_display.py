"""Ratings on the public pages: average and count of visible reviews, the reviews with the producer's answer,
hidden ones never shown, and a fixed number of queries whatever the number of reviews."""
import pytest

from marketplace.extensions import db
from marketplace.reviews import service


def _product_url(product):
    return f"/toko/{product.shop.slug}/{product.slug}"


def _text(response):
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_product_page_shows_average_count_reviews_and_the_reply(client, make_review, make_product, make_user):
    product = make_product()
    praised = make_review(rating=5, body="Madu terbaik di Tenggarong", product=product,
                          buyer=make_user("buyer", name="Rina Wulandari"))
    make_review(rating=4, body="Manis dan kental", product=product)
    service.reply(product.shop.owner, praised, "Terima kasih, Bu Rina!")
    db.session.commit()
    html = _text(client.get(_product_url(product)))
    assert "4,5" in html and "(2 ulasan)" in html
    assert "Madu terbaik di Tenggarong" in html and "Manis dan kental" in html
    assert "Terima kasih, Bu Rina!" in html
    assert "Rina W." in html and "Wulandari" not in html and praised.buyer.email not in html


def test_product_without_reviews_says_so(client, make_product):
    html = _text(client.get(_product_url(make_product())))
    assert "Belum ada ulasan." in html


def test_hidden_review_is_absent_and_not_counted(client, make_review, make_product, make_user):
    product = make_product()
    make_review(rating=5, body="Bagus sekali", product=product)
    hidden = make_review(rating=1, body="Penipu hubungi 0812999", product=product)
    service.hide_review(make_user("admin"), hidden, "Tuduhan dan nomor HP")
    db.session.commit()
    html = _text(client.get(_product_url(product)))
    assert "Penipu hubungi 0812999" not in html and "Tuduhan dan nomor HP" not in html
    assert "5,0" in html and "(1 ulasan)" in html
    shop_html = _text(client.get(f"/toko/{product.shop.slug}"))
    assert "5,0" in shop_html and "(1 ulasan)" in shop_html


def test_review_text_is_escaped(client, make_review, make_product):
    product = make_product()
    make_review(body='<script>alert(1)</script><img src=x onerror="y">', product=product)
    html = _text(client.get(_product_url(product)))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_shop_page_shows_the_average_over_all_its_listings(client, make_review, make_product, make_shop):
    shop = make_shop()
    first, second = make_product(shop=shop), make_product(shop=shop)
    make_review(rating=5, product=first)
    make_review(rating=4, product=first)
    make_review(rating=2, product=second)
    html = _text(client.get(f"/toko/{shop.slug}"))
    assert "3,7" in html and "(3 ulasan)" in html
    assert "Belum ada ulasan." in _text(client.get(f"/toko/{make_shop().slug}"))


def test_product_page_queries_do_not_grow_with_reviews(client, make_review, make_product, make_user,
                                                       count_queries):
    product = make_product()
    make_review(product=product)
    _page, few = count_queries(lambda: client.get(_product_url(product)))
    for _ in range(6):
        review = make_review(rating=3, body="Lumayan", product=product)
        service.reply(product.shop.owner, review, "Terima kasih")
    db.session.commit()
    page, many = count_queries(lambda: client.get(_product_url(product)))
    assert page.get_data(as_text=True).count("Terima kasih") == 6
    assert many == few


def test_reviews_add_two_queries_to_the_product_page_and_one_to_the_shop_page(make_review, make_product,
                                                                               count_queries):
    """The reviews part of the page on its own: a summary and the visible reviews with their writers."""
    product = make_product()
    for rating in (4, 5):
        make_review(rating=rating, product=product)
    product_id, shop_id = product.id, product.shop_id
    db.session.expire_all()
    (summary, names), product_queries = count_queries(lambda: (
        service.rating_summary(product_id), [r.buyer.name for r in service.visible_reviews(product_id)]))
    shop_summary, shop_queries = count_queries(lambda: service.shop_rating_summary(shop_id))
    assert (summary, shop_summary, len(names)) == ((4.5, 2), (4.5, 2), 2)
    assert (product_queries, shop_queries) == (2, 1)


def test_a_kept_product_page_follows_its_reviews(app, make_review, make_product, make_user):
    """Visitors without a session share one drawing of a page per set of rows (web.shared_page): a new,
    answered or hidden review is a new set."""
    product = make_product()
    visitor = app.test_client()
    first = make_review(rating=5, body="Harum sekali", product=product)
    assert "Harum sekali" in _text(visitor.get(_product_url(product)))
    service.reply(product.shop.owner, first, "Terima kasih banyak")
    db.session.commit()
    assert "Terima kasih banyak" in _text(visitor.get(_product_url(product)))
    second = make_review(rating=1, body="Kurang manis", product=product)
    html = _text(visitor.get(_product_url(product)))
    assert "Kurang manis" in html and "3,0" in html and "(2 ulasan)" in html
    service.hide_review(make_user("admin"), second, "Tidak pantas")
    db.session.commit()
    html = _text(visitor.get(_product_url(product)))
    assert "Kurang manis" not in html and "5,0" in html and "(1 ulasan)" in html


def test_a_shop_page_reads_its_rating_with_the_shop_and_follows_it(app, make_review, make_product, make_user,
                                                                   count_queries):
    """The shop's row and its stars come in one statement, then the page's cards: a kept page costs two."""
    product = make_product()
    visitor = app.test_client()
    make_review(rating=5, product=product)
    low = make_review(rating=2, product=product)
    shop_url = f"/toko/{product.shop.slug}"
    assert "3,5" in _text(visitor.get(shop_url))
    page, statements = count_queries(lambda: visitor.get(shop_url))
    assert "3,5" in _text(page) and "(2 ulasan)" in _text(page) and statements == 2
    service.hide_review(make_user("admin"), low, "Tidak pantas")
    db.session.commit()
    html = _text(visitor.get(shop_url))
    assert "5,0" in html and "(1 ulasan)" in html
