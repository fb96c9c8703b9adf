"""Random sequences of checkouts, payments (cash at pickup too), cancellations, completions, releases, refunds
and payouts, with every ledger invariant and a model of each shop's balances checked after every step
(Hypothesis, stateful)."""
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from marketplace.errors import InvalidState
from marketplace.extensions import db
from marketplace.ledger import check, payouts
from marketplace.ledger import service as ledger
from marketplace.ledger.models_payouts import ShopBankAccount
from marketplace.models_base import utcnow
from marketplace.orders import cart, earnings, service
from marketplace.payments import cash, transfer
from marketplace.payments import service as payments
from tests.orders.helpers import address

pytestmark = pytest.mark.slow


class Market(RuleBasedStateMachine):
    """The marketplace driven through its services; `expected` is what each shop should hold."""

    world = None        # set by the test: fixtures' callables and the shops of this run

    def __init__(self):
        super().__init__()
        # Examples share the database: what an earlier one completed and left unreleased is released now, so that
        # this one's model starts from settled balances.
        earnings.release_due(hold_days=0)
        db.session.commit()
        self.parts, self.payouts = [], []
        self.held_start, self.owed_start = ledger.balance("held:stripe"), ledger.balance("refunds_owed")
        self.held, self.owed = 0, 0
        self.expected = {shop.id: {"pending": 0, "available": 0, "commission_owed": 0} for shop in self.world["shops"]}
        self.baseline = {shop.id: ledger.shop_balances(shop.id) for shop in self.world["shops"]}

    @rule(shop=st.integers(0, 2), quantity=st.integers(1, 3), second=st.booleans())
    def checkout(self, shop, quantity, second):
        products = self.world["products"]
        lines = [(products[shop], quantity)] + ([(products[(shop + 1) % 3], 1)] if second else [])
        order = self.world["make_order"](buyer=self.world["buyer"], lines=lines)
        self.held += order.total_idr
        for part in order.shop_orders:
            self.expected[part.shop_id]["pending"] += part.payout_idr
            self.parts.append(part.id)

    @rule(shop=st.integers(0, 2), quantity=st.integers(1, 3), collected=st.booleans())
    def cash_sale(self, shop, quantity, collected):
        """A cash order at pickup, collected (the shop owes the fee) or cancelled (nothing moves)."""
        product = self.world["products"][shop]
        cart.add_to_cart(cart.AccountCart(self.world["buyer"]), str(product.id), str(quantity))
        order = service.place_order(self.world["buyer"], address(), {product.shop_id: "pickup"},
                                    method="cash_on_pickup")
        cash.start_cash(order)
        db.session.commit()
        part = order.shop_orders[0]
        if collected:
            cash.mark_collected(part, part.shop.owner)
            self.expected[part.shop_id]["commission_owed"] += part.platform_fee_idr
        else:
            cash.cancel_pickup(part, part.shop.owner, "Pembeli tidak datang")
        db.session.commit()

    def _part(self, index):
        from marketplace.orders.models import ShopOrder

        return db.session.get(ShopOrder, self.parts[index % len(self.parts)], populate_existing=True)

    @precondition(lambda self: self.parts)
    @rule(index=st.integers(0, 50))
    def cancel(self, index):
        part = self._part(index)
        try:
            service.cancel_shop_order(part, part.shop.owner, "producer", "Stok habis")
        except InvalidState:
            return
        db.session.commit()
        self.expected[part.shop_id]["pending"] -= part.payout_idr
        self.owed += part.total_idr

    @precondition(lambda self: self.parts)
    @rule(index=st.integers(0, 50))
    def refund(self, index):
        due = payments.shop_refund_due(self._part(index))
        if due is None:
            return
        db.session.commit()
        assert payments.make_shop_refund(*due)
        db.session.commit()
        self.owed -= due[2]
        self.held -= due[2]

    @precondition(lambda self: self.parts)
    @rule(index=st.integers(0, 50))
    def complete(self, index):
        part = self._part(index)
        if part.state != "paid":
            return
        service.accept_shop_order(part, part.shop.owner)
        service.ship_shop_order(part, part.shop.owner, "jne", "JP1234567890")
        service.confirm_receipt(part, part.order.buyer)
        db.session.commit()

    @rule()
    def release(self):
        from marketplace.orders.models import ShopOrder

        due = [db.session.get(ShopOrder, part_id) for part_id in self.parts]
        released_now = {part.id for part in due if part.state == "completed" and not earnings._released(part.id)}
        earnings.release_due(hold_days=0)
        db.session.commit()
        for part in due:
            if part.id in released_now:
                self.expected[part.shop_id]["pending"] -= part.payout_idr
                self.expected[part.shop_id]["available"] += part.payout_idr

    @rule()
    def batch(self):
        batch = payouts.create_batch(self.world["admin"], "held:stripe", minimum=1)
        db.session.commit()
        for payout in batch.payouts if batch else []:
            owed = max(self.expected[payout.shop_id]["commission_owed"]
                       + self.baseline[payout.shop_id]["commission_owed"], 0)
            self.expected[payout.shop_id]["available"] -= payout.amount_idr + owed    # the fee owed is taken back
            self.expected[payout.shop_id]["commission_owed"] -= owed
            self.payouts.append(payout.id)

    @precondition(lambda self: self.payouts)
    @rule(paid=st.booleans())
    def settle_payout(self, paid):
        payout_id = self.payouts.pop(0)
        if paid:
            payout = payouts.mark_paid(payout_id, "TRF 12345")
            self.held -= payout.amount_idr
        else:
            payout = payouts.mark_failed(payout_id, "Rekening tidak aktif")
            self.expected[payout.shop_id]["available"] += payout.amount_idr
        db.session.commit()

    @invariant()
    def the_ledger_adds_up(self):
        assert check.problems() == []
        assert ledger.balance("held:stripe") - self.held_start == self.held
        assert ledger.balance("refunds_owed") - self.owed_start == self.owed
        for shop_id, expected in self.expected.items():
            now = ledger.shop_balances(shop_id)
            assert now["pending"] - self.baseline[shop_id]["pending"] == expected["pending"]
            assert now["available"] - self.baseline[shop_id]["available"] == expected["available"]
            assert now["commission_owed"] - self.baseline[shop_id]["commission_owed"] == expected["commission_owed"]


def test_random_money_movements_keep_the_ledger_whole(app, make_user, make_shop, make_product, make_order):
    shops = [make_shop(cash_on_pickup=True) for _ in range(3)]
    transfer.set_method_enabled("cash_on_pickup", True)
    admin = make_user("admin")
    for shop in shops:
        account = payouts.set_bank_account(shop, payouts.BankAccountDetails("014", "1234567890", "Siti"))
        payouts.review_bank_account(account.id, admin, approve=True)
        db.session.get(ShopBankAccount, account.id).payouts_from = utcnow()
    db.session.commit()
    Market.world = {"shops": shops, "admin": admin, "buyer": make_user("buyer"), "make_order": make_order,
                    "products": [make_product(shop=shop, stock=10_000, price_idr=15_000 + 5_000 * n)
                                 for n, shop in enumerate(shops)]}
    run_state_machine_as_test(Market, settings=settings(
        max_examples=8, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
