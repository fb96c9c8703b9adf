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


def _problems():
    """Every invariant but Stripe's reconciliation: these races book Stripe money straight through the ledger."""
    return check.problems(stripe=False)


@pytest.mark.parametrize("round_", range(3))
def test_eight_deliveries_of_one_payment_write_one_entry(market, round_):
    reference = f"payment-{round_}"
    results = in_parallel([_poster(market, reference) for _ in range(8)])
    assert sorted(results) == [False] * 7 + [True]
    assert market.run(lambda: db.session.scalar(select(func.count(JournalEntry.id))
                                                .where(JournalEntry.reference == reference))) == 1
    assert market.run(lambda: service.balance("held:stripe")) == 75_000 * (round_ + 1)
    assert market.run(_problems) == []


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
    assert market.run(_problems) == []


def _handover_rival(market, part_id, action):
    """The producer handing a pickup part over, or cancelling it (a no-show), as a thread would: 'won' or
    'refused'."""
    from marketplace.errors import InvalidState
    from marketplace.orders import service as orders
    from marketplace.orders.models import ShopOrder

    def act():
        with market.app.app_context():
            try:
                part = db.session.get(ShopOrder, part_id)
                if action == "cancel":
                    orders.cancel_shop_order(part, part.shop.owner, "producer", "Pembeli tidak datang")
                else:
                    orders.hand_over(part, part.shop.owner)
                db.session.commit()
                return action
            except InvalidState:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()
    return act


@pytest.mark.parametrize("round_", range(3))
def test_a_handover_racing_a_cancellation_is_booked_once(market, round_):
    """A pickup part handed over at the moment it is cancelled: one of them happens, and the ledger holds
    exactly its consequence: the shop's share pending (later available), or given back and owed to the buyer."""
    from marketplace.accounts.models import User
    from marketplace.orders import earnings
    from marketplace.orders import service as orders
    from marketplace.orders.models import ShopOrder
    from tests.orders.helpers import address

    product_id = market.make_product(stock=10, price_idr=75_000)
    buyer_id = market.make_user()
    market.fill_cart(buyer_id, (product_id, 2))

    def paid_and_ready():
        from marketplace.catalogue.models import Product

        shop_of_product = db.session.get(Product, product_id).shop_id
        order = orders.place_order(db.session.get(User, buyer_id), address(), {shop_of_product: "pickup"})
        orders.settle_order(order, f"pi_handover_{order.id}")
        part = order.shop_orders[0]
        orders.accept_shop_order(part, part.shop.owner)
        orders.mark_ready_for_pickup(part, part.shop.owner)
        return part.id, part.shop_id, part.total_idr, earnings.share_of(part).net_idr

    part_id, shop_id, gross, net = market.run(paid_and_ready)
    owed_before = market.run(lambda: service.balance("refunds_owed"))
    results = in_parallel([_handover_rival(market, part_id, action) for action in ("cancel", "hand_over") * 3])
    winners = [result for result in results if result != "refused"]
    assert len(winners) == 1
    state = market.run(lambda: db.session.get(ShopOrder, part_id).state)
    assert state == {"cancel": "cancelled", "hand_over": "completed"}[winners[0]]
    kinds = market.run(lambda: sorted(db.session.scalars(select(JournalEntry.kind)
                                                         .where(JournalEntry.shop_order_id == part_id))))
    if state == "cancelled":
        assert kinds == ["shop_order_cancelled"]
        assert market.run(lambda: service.balance("refunds_owed")) == owed_before + gross
        market.run(lambda: earnings.release_due(hold_days=0))             # nothing of this part to release
        assert market.run(lambda: service.shop_balances(shop_id)) == {"pending": 0, "available": 0,
                                                                      "commission_owed": 0}
    else:
        assert kinds == []
        assert market.run(lambda: service.balance("refunds_owed")) == owed_before
        assert market.run(lambda: service.shop_balances(shop_id)["pending"]) == net
        assert market.run(lambda: earnings.release_due(hold_days=0)) >= 1
        assert market.run(lambda: service.shop_balances(shop_id)) == {"pending": 0, "available": net,
                                                                      "commission_owed": 0}
    assert market.run(_problems) == []


def _transfer_order_paid_into_a_new_account(market):
    """A transfer buyer's order of two shops' pickup goods, paid into a new receiving account by its statement;
    one part cancelled (owed back to the buyer, who gave an account), the other completed and released, its shop
    with a verified bank account. (receiving account id, refund cause, the payable shop's id, the payment)."""
    from marketplace.accounts.models import User
    from marketplace.catalogue.models import Product
    from marketplace.ledger import payouts
    from marketplace.models_base import utcnow
    from marketplace.orders import earnings
    from marketplace.orders import service as orders
    from marketplace.payments import refunds, statement, transfer
    from tests.orders.helpers import address

    cancelled_id, kept_id = market.make_product(stock=5, price_idr=60_000), market.make_product(stock=5, price_idr=90_000)
    buyer_id = market.make_user()
    market.fill_cart(buyer_id, (cancelled_id, 1), (kept_id, 1))

    def build():
        from datetime import timedelta

        account = transfer.add_account("BRI", "0123 4567 8901", "PT Pasar Desa")
        shops = {db.session.get(Product, product_id).shop_id for product_id in (cancelled_id, kept_id)}
        order = orders.place_order(db.session.get(User, buyer_id), address(), {shop: "pickup" for shop in shops})
        payment = transfer.start_transfer(order)
        today = utcnow().date().isoformat()
        raw = f"tanggal,keterangan,jumlah,jenis\n{today},TRSF CR,{payment.amount_idr},CR\n".encode()
        assert statement.import_statement(account.id, raw).settled == 1
        parts = {part.shop_id: part for part in order.shop_orders}
        cancelled = parts[db.session.get(Product, cancelled_id).shop_id]
        kept = parts[db.session.get(Product, kept_id).shop_id]
        orders.cancel_shop_order(cancelled, cancelled.shop.owner, "producer", "Stok rusak kena banjir")
        refunds.set_refund_account(order, "014", "1234567890", "Pembeli")
        for step in (orders.accept_shop_order, orders.mark_ready_for_pickup, orders.hand_over):
            step(kept, kept.shop.owner)
        assert earnings.release_due(hold_days=0) >= 1
        bank = payouts.set_bank_account(kept.shop, payouts.BankAccountDetails("014", "9876543210", "Produsen"))
        bank.status, bank.payouts_from = "verified", utcnow() - timedelta(minutes=1)
        return account.id, f"shop-order-{cancelled.id}", kept.shop_id, payment.amount_idr

    return market.run(build)


def _refunder(market, cause, admin_id):
    """An admin recording the buyer's refund, as a thread would: 'refund', or 'refused' when already recorded."""
    from marketplace.accounts.models import User
    from marketplace.errors import InvalidState
    from marketplace.models_base import utcnow
    from marketplace.payments import refunds

    def record():
        with market.app.app_context():
            try:
                refunds.record_refund(cause, db.session.get(User, admin_id), "BRI 7781", utcnow().date())
                db.session.commit()
                return "refund"
            except InvalidState:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()
    return record


def _payer(market, source, admin_id):
    """An admin creating a batch from `source` and marking its payouts paid: [(shop id, amount)] it paid."""
    from marketplace.accounts.models import User
    from marketplace.ledger import payouts

    def pay():
        with market.app.app_context():
            try:
                batch = payouts.create_batch(db.session.get(User, admin_id), source)
                db.session.commit()
                if batch is None:
                    return []
                paid = [(payout.shop_id, payout.amount_idr) for payout in batch.payouts]
                for payout in batch.payouts:
                    payouts.mark_paid(payout.id, f"BRI-{payout.id}")
                db.session.commit()
                return paid
            finally:
                db.session.remove()
    return pay


@pytest.mark.parametrize("round_", range(3))
def test_a_refund_racing_a_payout_from_the_same_account_pays_each_once(market, round_):
    """A transfer buyer's refund recorded from held:bank-N while admins pay a batch from held:bank-N: the refund is
    recorded once, the shop paid once, and the account holds exactly the payment less both."""
    from marketplace.ledger.models_payouts import Payout, PayoutBatch
    from marketplace.payments.models_refunds import BuyerRefund

    account_id, cause, shop_id, paid_in = _transfer_order_paid_into_a_new_account(market)
    held = f"held:bank-{account_id}"
    share = market.run(lambda: service.shop_balances(shop_id)["available"])
    admin_id = market.make_user("admin")
    workers = [_refunder(market, cause, admin_id), _payer(market, held, admin_id)] * 3
    results = in_parallel(workers)
    assert sorted(result for result in results if isinstance(result, str)) == ["refund", "refused", "refused"]
    payouts_made = [pair for result in results if isinstance(result, list) for pair in result]
    assert [pair for pair in payouts_made if pair[0] == shop_id] == [(shop_id, share)]
    refunded = market.run(lambda: db.session.scalar(select(BuyerRefund.amount_idr).where(BuyerRefund.cause == cause)))
    paid_out = market.run(lambda: db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_idr), 0)).join(PayoutBatch)
        .where(PayoutBatch.source == held, Payout.state == "paid")))
    assert paid_out == sum(amount for _shop, amount in payouts_made)
    assert market.run(lambda: service.balance(held)) == paid_in - refunded - paid_out
    assert market.run(lambda: service.shop_balances(shop_id)) == {"pending": 0, "available": 0,
                                                                  "commission_owed": 0}
    assert market.run(_problems) == []
