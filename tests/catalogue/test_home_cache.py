"""Visitors without a session share a few seconds' rendering of the home page; nobody else does."""
from marketplace.extensions import db
from marketplace.moderation import service as moderation


def test_anonymous_visitors_share_a_rendering_until_it_expires(app, client, make_product, make_user):
    make_product(title="Madu Kelulut Pertama")
    assert "Madu Kelulut Pertama" in client.get("/").get_data(as_text=True)
    pending = make_product(status="pending", title="Amplang Baru Sekali")
    moderation.approve_product(pending, make_user("admin"))
    db.session.commit()
    # Within the cache time, a visitor without a session still gets the earlier rendering...
    assert "Amplang Baru Sekali" not in app.test_client().get("/").get_data(as_text=True)
    # ...a query string, a language choice or a session cookie always get a fresh one...
    assert "Amplang Baru Sekali" in client.get("/?lang=id").get_data(as_text=True)
    # ...and once it expires, everyone sees the new listing.
    for locale, (expires, html) in list(app.extensions["home_page_cache"].items()):
        app.extensions["home_page_cache"][locale] = (0, html)
    assert "Amplang Baru Sekali" in app.test_client().get("/").get_data(as_text=True)


def test_logged_in_visitors_never_get_the_shared_rendering(app, client, auth, make_user, make_product):
    make_product(title="Gula Aren Cetak")
    anonymous_html = app.test_client().get("/").get_data(as_text=True)
    assert "Keluar" not in anonymous_html
    user = make_user(name="Ibu Rahmah")
    auth.login(user.email)
    html = client.get("/").get_data(as_text=True)
    assert "Ibu Rahmah" in html and "Keluar" in html


def test_each_language_has_its_own_rendering(app):
    english = app.test_client()
    english.set_cookie("lang", "en")
    assert 'lang="en"' in english.get("/").get_data(as_text=True)
    assert 'lang="id"' in app.test_client().get("/").get_data(as_text=True)


def test_cache_can_be_switched_off(app, make_product, make_user):
    app.config["HOME_PAGE_CACHE_SECONDS"] = 0
    app.test_client().get("/")
    make_product(title="Kopi Liberika Bubuk")
    assert "Kopi Liberika Bubuk" in app.test_client().get("/").get_data(as_text=True)
    assert "home_page_cache" not in app.extensions


def test_logged_in_visitors_share_the_home_pages_rows_for_the_cache_time(app, client, auth, make_user, make_product,
                                                                         count_queries):
    make_product(title="Gula Aren Cetak")
    auth.login(make_user(name="Ibu Rahmah").email)
    assert "Gula Aren Cetak" in client.get("/").get_data(as_text=True)
    pending = make_product(status="pending", title="Amplang Baru Sekali")
    moderation.approve_product(pending, make_user("admin"))
    db.session.commit()
    # Within the cache time the page is drawn from the rows read for it before: only who the visitor is and
    # their header's counts are read (in one statement)...
    kept, statements = count_queries(lambda: client.get("/"))
    html = kept.get_data(as_text=True)
    assert "Ibu Rahmah" in html and "Amplang Baru Sekali" not in html
    # ...a query string reads the cards and districts afresh (the category tree is kept apart, for the same
    # time), and so does everyone once they expire.
    fresh, statements_fresh = count_queries(lambda: client.get("/?lang=id"))
    assert statements == 1
    assert "Amplang Baru Sekali" in fresh.get_data(as_text=True) and statements_fresh == statements + 2
    app.extensions["home_page_rows"] = (0, app.extensions["home_page_rows"][1])
    assert "Amplang Baru Sekali" in client.get("/").get_data(as_text=True)
