"""Each process keeps the category tree for HOME_PAGE_CACHE_SECONDS: the pages that show it (search, category)
read it once in that time; a change made by this process shows at once, one made by another within those
seconds, and a slug the kept tree does not know is looked for in the tree as it is now."""
from sqlalchemy import insert, update

from marketplace.catalogue.models import Category
from marketplace.extensions import db


def _expire_kept_tree(app):
    app.extensions["catalogue_categories"] = (0, app.extensions["catalogue_categories"][1])


def _written_by_another_process(statement):
    """A Core statement: no ORM object is flushed, so this process is not told, as with another process."""
    db.session.execute(statement)
    db.session.commit()


def test_the_tree_is_read_once_per_cache_time(app, client, make_product, count_queries):
    make_product(category="kopi", title="Kopi Liberika Sangrai")
    _page, first = count_queries(lambda: client.get("/kategori/minuman"))
    page = client.get("/search?q=kopi")
    again, kept_again = count_queries(lambda: client.get("/kategori/minuman"))
    assert page.status_code == again.status_code == 200 and "Kopi Liberika Sangrai" in again.get_data(as_text=True)
    assert kept_again == first - 1
    _expire_kept_tree(app)
    _page, expired = count_queries(lambda: client.get("/kategori/minuman"))
    assert expired == first


def test_a_category_added_by_another_process_is_found_at_once(app, client, make_product):
    make_product(category="kopi")
    assert client.get("/kategori/minuman").status_code == 200  # the tree is kept from here on
    _written_by_another_process(insert(Category).values(slug="kopi-luwak", name_id="Kopi Luwak Desa",
                                                          name_en="Civet coffee", position=50))
    page = client.get("/kategori/kopi-luwak")
    assert page.status_code == 200 and "Kopi Luwak Desa" in page.get_data(as_text=True)
    assert client.get("/search?q=kopi&category=kopi-luwak").status_code == 200
    assert client.get("/search?q=kopi&category=tidak-ada").status_code == 400
    assert client.get("/kategori/tidak-ada").status_code == 404


def test_a_rename_by_another_process_shows_within_the_cache_time(app, client, make_product):
    make_product(category="kopi")
    assert "Minuman" in client.get("/search?q=kopi").get_data(as_text=True)
    _written_by_another_process(update(Category).where(Category.slug == "minuman").values(name_id="Minuman Desa"))
    assert "Minuman Desa" not in client.get("/search?q=kopi").get_data(as_text=True)
    _expire_kept_tree(app)
    assert "Minuman Desa" in client.get("/search?q=kopi").get_data(as_text=True)


def test_a_rename_made_by_this_process_shows_at_once(app, client, make_product):
    make_product(category="kopi")
    assert "Minuman Desa" not in client.get("/search?q=kopi").get_data(as_text=True)
    db.session.scalars(db.select(Category).where(Category.slug == "minuman")).one().name_id = "Minuman Desa"
    db.session.commit()
    assert "Minuman Desa" in client.get("/search?q=kopi").get_data(as_text=True)


def test_switched_off_the_tree_is_read_on_every_request(app, client, count_queries):
    app.config["HOME_PAGE_CACHE_SECONDS"] = 0
    _page, first = count_queries(lambda: client.get("/kategori/minuman"))
    _page, second = count_queries(lambda: client.get("/kategori/minuman"))
    assert first == second and "catalogue_categories" not in app.extensions
