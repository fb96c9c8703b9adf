"""One cause, posted by several processes at the same moment, is recorded once (committed database,
a thread and a session each; SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""
import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.ledger import check, service
from marketplace.ledger.models import JournalEntry
from marketplace.ledger.service import credit, debit
from tests.orders.helpers import committed_market, in_parallel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    """The app on a committed database of its own."""
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


def _poster(market, reference):
    def post():
        with market.app.app_context():
            try:
                _entry, written = service.post("payment_settled", reference,
                                               [debit("held:stripe", 75_000), credit("refunds_owed", 75_000)])
                db.session.commit()
                return written
            finally:
                db.session.remove()
    return post


@pytest.mark.parametrize("round_", range(3))
def test_eight_deliveries_of_one_payment_write_one_entry(market, round_):
    reference = f"payment-{round_}"
    results = in_parallel([_poster(market, reference) for _ in range(8)])
    assert sorted(results) == [False] * 7 + [True]
    assert market.run(lambda: db.session.scalar(select(func.count(JournalEntry.id))
                                                .where(JournalEntry.reference == reference))) == 1
    assert market.run(lambda: service.balance("held:stripe")) == 75_000 * (round_ + 1)
    assert market.run(check.problems) == []
