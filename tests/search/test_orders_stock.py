"""Stock taken and given back by orders (bulk UPDATEs, no ORM change) still reaches the index."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders import service as orders
from marketplace.search import sync
from marketplace.search.models import SearchOutbox
from tests.search.conftest import run_search, titles


def in_stock(title):
    return run_search(title.lower()).items[0]["in_stock"]


def test_selling_out_and_restocking_reach_the_index_at_the_next_drain(app, world):
    product = world.products["Gula Aren Cetak"]
    orders.reserve_stock([(product.id, product.stock - 1)])
    db.session.commit()
    assert db.session.scalars(select(SearchOutbox.object_id)).all() == []  # still in stock: nothing to tell
    orders.reserve_stock([(product.id, 1)])
    db.session.commit()
    assert db.session.scalars(select(SearchOutbox.object_id)).all() == [product.id]
    # The checkout did not wait for the index, yet results show the stock of the database at once...
    assert in_stock("Gula Aren Cetak") is False
    assert "Gula Aren Cetak" in titles(run_search("gula aren cetak", in_stock=1))  # ...while filters lag
    sync.drain(app, db.session.get_bind())  # the next drain (`flask search sync`) applies it to filters
    assert "Gula Aren Cetak" not in titles(run_search("gula aren cetak", in_stock=1))
    orders.add_stock(product.id, 2)
    db.session.commit()
    sync.drain(app, db.session.get_bind())
    assert in_stock("Gula Aren Cetak") is True
