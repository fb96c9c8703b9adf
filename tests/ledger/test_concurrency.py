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


def _earning_shop(market, net):
    """A committed shop with `net` available and a verified account past its hold; its id."""
    from datetime import timedelta

    from marketplace.accounts import service as accounts
    from marketplace.ledger import payouts, rules
    from marketplace.models_base import utcnow
    from marketplace.shops import service as shops

    def build():
        import uuid

        owner = accounts.register_user(email=f"p-{uuid.uuid4().hex[:8]}@example.com", name="Siti", phone="081234567890",
                                       password="correct horse battery", role="producer")
        shop = shops.open_shop(owner, shops.ShopDetails(
            name=f"Toko {uuid.uuid4().hex[:6]}", story="", district_code="64.02.06", village_code="64.02.06.1001",
            whatsapp="0812 3456 7890", shipping_fee_idr=0, pickup_allowed=True))
        db.session.flush()
        rules.record_payment(f"pay-{shop.id}", "held:stripe", [rules.ShopShare(shop.id, net, 0)])
        rules.release_earnings(f"release-{shop.id}", shop.id, net)
        account = payouts.set_bank_account(shop, payouts.BankAccountDetails("014", "1234567890", "Siti"))
        account.status, account.payouts_from = "verified", utcnow() - timedelta(minutes=1)
        return shop.id

    return market.run(build)


def test_two_admins_creating_batches_at_once_pay_each_balance_once(market):
    from marketplace.ledger import payouts
    from marketplace.ledger.models_payouts import Payout

    shop_ids = [_earning_shop(market, 60_000 + n * 1000) for n in range(5)]
    admin_id = market.make_user("admin")

    def create():
        with market.app.app_context():
            try:
                from marketplace.accounts.models import User

                batch = payouts.create_batch(db.session.get(User, admin_id), "held:stripe")
                db.session.commit()
                return [p.shop_id for p in batch.payouts] if batch else []
            finally:
                db.session.remove()

    results = in_parallel([create for _ in range(6)])
    paid = [shop_id for result in results for shop_id in result]
    assert sorted(paid) == sorted(shop_ids)                  # every shop once, whichever batch took it
    counts = market.run(lambda: dict(db.session.execute(
        select(Payout.shop_id, func.count(Payout.id)).where(Payout.shop_id.in_(shop_ids)).group_by(Payout.shop_id)).all()))
    assert counts == {shop_id: 1 for shop_id in shop_ids}
    assert all(market.run(lambda s=s: service.shop_balances(s)["available"]) == 0 for s in shop_ids)
    assert market.run(check.problems) == []
