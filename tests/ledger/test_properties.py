"""Random sequences of checkouts paid by every method (Stripe; bank transfer and QRIS into one of two receiving
accounts, by a statement import or an admin's confirmation; cash at pickup), late and unmatched statement lines,
cancellations, completions, releases, refunds (by Stripe, and transferred back by an admin) before and after
payouts, batches from every receiving account and paid or failed payouts. After every step every ledger invariant
holds, and the ledger agrees with a model of each shop's balances and of the money in each receiving account
(Hypothesis, stateful)."""
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from marketplace.errors import InvalidState
from marketplace.extensions import db
from marketplace.ledger import check, payouts
from marketplace.ledger import service as ledger
from marketplace.ledger.models_payouts import ShopBankAccount
from marketplace.models_base import utcnow
from marketplace.orders import cart, earnings, service
from marketplace.payments import cash, refunds, statement, transfer
from marketplace.payments import service as payments
from marketplace.payments.models import TRANSFER_METHODS, Payment, StatementLine
from tests.orders.helpers import address
from tests.payments.transfer_helpers import methods_on

pytestmark = pytest.mark.slow

STRIPE = "held:stripe"
SHOPS = 3


def _statement(amount_idr, number):
    """A statement with one credit; each line's description is its own, so no two lines share a fingerprint."""
    return (f"tanggal,keterangan,jumlah,jenis\n{utcnow().date().isoformat()},TRSF E-BANKING CR {number},"
            f"{amount_idr},CR\n").encode()


class Market(RuleBasedStateMachine):
    """The marketplace driven through its services. `expected` is what each shop should hold and `moved` what each
    receiving account, the refunds owed and the unique-code income should have gained, since the example began.

    Examples share the database, so `world` remembers what outlives one: every open and expired transfer by payment
    id (with the amount it asks: a statement line settles whichever asks its amount) and every refund owed to a
    transfer buyer by cause. The rules choose only among this example's own (`mine`), so that Hypothesis draws the
    same steps when it replays an example."""

    world = None        # set by the test: fixtures' callables, the shops and receiving accounts of this run

    def __init__(self):
        super().__init__()
        db.session.rollback()           # what a failed step of the example before left unflushed
        # What an earlier example completed and left unreleased is released now, and its open transfers expire,
        # so that this one's model starts from settled balances.
        for payment_id in sorted(self.world["open"]):
            self._expire(payment_id)
        earnings.release_due(hold_days=0)
        db.session.commit()
        self.parts, self.payouts, self.held_in = [], [], {}
        self.mine = {"open": [], "closed": [], "owed": [], "unmatched": []}
        self.sources = [STRIPE] + [ledger.held_account(f"bank-{account.id}") for account in self.world["accounts"]]
        self.start = {code: ledger.balance(code) for code in self.sources + ["refunds_owed", "income:unique_code"]}
        self.moved = dict.fromkeys(self.start, 0)
        self.expected = {shop.id: {"pending": 0, "available": 0, "commission_owed": 0} for shop in self.world["shops"]}
        self.baseline = {shop.id: ledger.shop_balances(shop.id) for shop in self.world["shops"]}

    def _lines(self, shop, quantity, second):
        """[(product, quantity)] of one shop's listing, and one of the next shop's when `second`."""
        products = self.world["products"]
        return [(products[shop], quantity)] + ([(products[(shop + 1) % SHOPS], 1)] if second else [])

    def _fill_cart(self, shop, quantity, second):
        for product, count in self._lines(shop, quantity, second):
            cart.add_to_cart(cart.AccountCart(self.world["buyer"]), str(product.id), str(count))

    def _earned(self, order, held):
        """The order's money arrived in `held`: each shop's share waits as pending."""
        db.session.refresh(order)
        for part in order.shop_orders:
            self.expected[part.shop_id]["pending"] += part.payout_idr
            self.parts.append(part.id)
            self.held_in[part.id] = held

    @rule(shop=st.integers(0, SHOPS - 1), quantity=st.integers(1, 3), second=st.booleans())
    def checkout(self, shop, quantity, second):
        """Paid at Stripe, settled by its signed webhook."""
        order = self.world["make_order"](buyer=self.world["buyer"], lines=self._lines(shop, quantity, second))
        self.moved[STRIPE] += order.total_idr
        self._earned(order, STRIPE)

    @rule(shop=st.integers(0, SHOPS - 1), quantity=st.integers(1, 3), second=st.booleans(),
          method=st.sampled_from(TRANSFER_METHODS))
    def transfer_checkout(self, shop, quantity, second, method):
        """An order to pay by bank transfer or QRIS: open, asking its total plus a unique code."""
        self._fill_cart(shop, quantity, second)
        order = service.place_order(self.world["buyer"], address(), {}, method=method)
        payment = transfer.start_transfer(order, method)
        db.session.commit()
        assert payment.amount_idr - order.total_idr == payment.unique_code_idr > 0
        self.world["open"][payment.id] = payment.amount_idr
        self.mine["open"].append(payment.id)

    @initialize(shop=st.integers(0, SHOPS - 1), quantity=st.integers(1, 3))
    def open_transfers(self, shop, quantity):
        """Every example starts with an open bank transfer and an open QRIS payment, so that the steps that pay,
        expire and match transfers have one to act on from the first step."""
        for method in TRANSFER_METHODS:
            self.transfer_checkout(shop, quantity, False, method)

    def _pick(self, which, index):
        """One of this example's open or expired transfers, owed causes or unmatched lines."""
        return self.mine[which][index % len(self.mine[which])]

    @precondition(lambda self: self.mine["open"])
    @rule(index=st.integers(0, 50), account=st.integers(0, 1), by_statement=st.booleans())
    def pay_transfer(self, index, account, by_statement):
        """The buyer's money arrives in one of the two accounts: found on its imported statement, or confirmed
        by an admin who saw it arrive."""
        payment_id, receiving = self._pick("open", index), self.world["accounts"][account]
        if by_statement:
            self._line_arrives(receiving, self.world["open"][payment_id])
        else:
            assert transfer.confirm_received(payment_id, "BRI 556677", admin=self.world["admin"],
                                             account_id=receiving.id) == "paid"
            self._settled(payment_id, receiving)
        db.session.commit()

    @precondition(lambda self: self.mine["open"])
    @rule(index=st.integers(0, 50))
    def expire(self, index):
        """The buyer never pays: the order expires and its attempt closes."""
        payment_id = self._pick("open", index)
        self._expire(payment_id)
        db.session.commit()
        self.mine["open"].remove(payment_id)
        self.mine["closed"].append(payment_id)

    def _expire(self, payment_id):
        payment = db.session.get(Payment, payment_id, populate_existing=True)
        assert service.release_order(payment.order, "expired")
        self.world["closed"][payment_id] = self.world["open"].pop(payment_id)

    @precondition(lambda self: self.mine["closed"])
    @rule(index=st.integers(0, 50), account=st.integers(0, 1))
    def late_line(self, index, account):
        """Money for an expired order arrives after all: held where it arrived, and owed back (a line for an
        attempt already owed back is a stray one)."""
        payment_id = self._pick("closed", index)
        self.mine["closed"].remove(payment_id)
        self._line_arrives(self.world["accounts"][account], db.session.get(Payment, payment_id).amount_idr)
        db.session.commit()

    @rule(amount=st.integers(1, 9_999), account=st.integers(0, 1))
    def stray_line(self, amount, account):
        """A credit no order asked (every order asks more than Rp10.000): recorded, unmatched, nothing booked."""
        self._line_arrives(self.world["accounts"][account], amount)
        db.session.commit()

    @precondition(lambda self: self.mine["unmatched"] and self.mine["open"])
    @rule(line=st.integers(0, 50), index=st.integers(0, 50))
    def match_stray_line(self, line, index):
        """An admin matches an unmatched line to an open order: a wrong amount cancels the order and is owed back
        from the account it arrived in (the right one, asked since the line came, settles it)."""
        line_id, amount, held = self.mine["unmatched"].pop(line % len(self.mine["unmatched"]))
        payment_id = self._pick("open", index)
        payment = db.session.get(Payment, payment_id)
        right = amount == payment.amount_idr
        assert statement.match_line(line_id, payment.order.code, self.world["admin"]) == ("paid" if right
                                                                                        else "mismatch")
        db.session.commit()
        if right:
            self._settled(payment_id, next(each for each in self.world["accounts"]
                                           if ledger.held_account(f"bank-{each.id}") == held))
            return
        del self.world["open"][payment_id]
        self.mine["open"].remove(payment_id)
        self._owe(f"payment-{payment_id}", amount, held)

    def _line_arrives(self, receiving, amount):
        """Import one credit of `amount` into the account, predicting what it does: it settles the open transfer
        asking that amount, else is owed back for the newest expired one asking it, else waits unmatched."""
        asking = [payment_id for payment_id, asked in self.world["open"].items() if asked == amount]
        expired = [payment_id for payment_id, asked in self.world["closed"].items() if asked == amount]
        number = next(self.world["numbers"])
        result = statement.import_statement(receiving.id, _statement(amount, number))
        outcome = (result.settled, result.refund_owed, result.unmatched, result.already_imported)
        held = ledger.held_account(f"bank-{receiving.id}")
        if asking:
            assert outcome == (1, 0, 0, 0)
            self._settled(asking[0], receiving)
        elif expired:
            assert outcome == (0, 1, 0, 0)
            del self.world["closed"][max(expired)]
            if max(expired) in self.mine["closed"]:
                self.mine["closed"].remove(max(expired))
            self._owe(f"payment-{max(expired)}", amount, held)
        else:
            assert outcome == (0, 0, 1, 0)
            line = db.session.scalar(db.select(StatementLine).order_by(StatementLine.id.desc()).limit(1))
            assert (line.amount_idr, line.outcome, line.description) == (amount, "unmatched",
                                                                         f"TRSF E-BANKING CR {number}")
            self.mine["unmatched"].append((line.id, amount, held))

    def _settled(self, payment_id, receiving):
        payment = db.session.get(Payment, payment_id, populate_existing=True)
        assert (payment.state, payment.receiving_account_id) == ("paid", receiving.id)
        del self.world["open"][payment_id]
        if payment_id in self.mine["open"]:
            self.mine["open"].remove(payment_id)
        held = ledger.held_account(f"bank-{receiving.id}")
        self.moved[held] += payment.amount_idr
        self.moved["income:unique_code"] += payment.unique_code_idr
        self._earned(payment.order, held)

    def _owe(self, cause, amount, held):
        """Money held in `held` is owed back to a transfer or QRIS buyer, until an admin transfers it."""
        self.world["owed"][cause] = (amount, held)
        self.mine["owed"].append(cause)
        self.moved["refunds_owed"] += amount
        if cause.startswith("payment-"):        # money that arrived for nothing: it came in too
            self.moved[held] += amount

    @rule(shop=st.integers(0, SHOPS - 1), quantity=st.integers(1, 3), collected=st.booleans())
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
        """A shop cancels its paid part: its share leaves pending and the buyer is owed the whole part."""
        part = self._part(index)
        try:
            service.cancel_shop_order(part, part.shop.owner, "producer", "Stok habis")
        except InvalidState:
            return
        db.session.commit()
        self.expected[part.shop_id]["pending"] -= part.payout_idr
        if self.held_in[part.id] == STRIPE:
            self.moved["refunds_owed"] += part.total_idr
        else:
            self._owe(f"shop-order-{part.id}", part.total_idr, self.held_in[part.id])

    @precondition(lambda self: self.parts)
    @rule(index=st.integers(0, 50))
    def refund(self, index):
        """A cancelled Stripe part is refunded through Stripe."""
        due = payments.shop_refund_due(self._part(index))
        if due is None:
            return
        db.session.commit()
        assert payments.make_shop_refund(*due)
        db.session.commit()
        self.moved["refunds_owed"] -= due[2]
        self.moved[STRIPE] -= due[2]

    @precondition(lambda self: self.mine["owed"])
    @rule(index=st.integers(0, 50))
    def refund_by_transfer(self, index):
        """An admin transfers what a bank or QRIS buyer is owed to the account they gave, with the bank's
        reference: it leaves the receiving account the money was held in."""
        owed = {each.cause: each for each in refunds.open_refunds()}
        assert set(owed) == set(self.world["owed"])
        cause = self.mine["owed"].pop(index % len(self.mine["owed"]))
        amount, held = self.world["owed"].pop(cause)
        if refunds.refund_account(owed[cause].order) is None:
            refunds.set_refund_account(owed[cause].order, "014", "1234567890", "Siti Aminah")
        made = refunds.record_refund(cause, self.world["admin"], "BCA 7781", utcnow().date())
        db.session.commit()
        assert (made.amount_idr, made.held) == (amount, held)
        self.moved["refunds_owed"] -= amount
        self.moved[held] -= amount

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

    def _modelled(self, shop_id):
        return {which: self.baseline[shop_id][which] + amount for which, amount in self.expected[shop_id].items()}

    @rule(source=st.integers(0, 2), minimum=st.sampled_from([0, 1, 30_000]))
    def batch(self, source, minimum):
        """A batch from any receiving account pays each shop exactly what it may take: its available balance less
        the commission it owes, never more, and nothing to a shop whose balance is zero or below (after a refund
        after payout) or under the minimum."""
        before = {shop_id: self._modelled(shop_id) for shop_id in self.expected}
        batch = payouts.create_batch(self.world["admin"], self.sources[source], minimum=minimum)
        db.session.commit()
        paid = {payout.shop_id: payout for payout in (batch.payouts if batch else [])}
        for shop_id, balances in before.items():
            owed = max(balances["commission_owed"], 0)
            payable = balances["available"] - owed
            if shop_id not in paid:
                assert payable < max(minimum, 1)
                continue
            assert 0 < paid[shop_id].amount_idr == payable <= balances["available"]
            self.expected[shop_id]["available"] -= payable + owed     # the fee owed is taken back
            self.expected[shop_id]["commission_owed"] -= owed
            self.payouts.append((paid[shop_id].id, self.sources[source]))

    @precondition(lambda self: self.payouts)
    @rule(paid=st.booleans())
    def settle_payout(self, paid):
        payout_id, source = self.payouts.pop(0)
        if paid:
            payout = payouts.mark_paid(payout_id, "TRF 12345")
            self.moved[source] -= payout.amount_idr
        else:
            payout = payouts.mark_failed(payout_id, "Rekening tidak aktif")
            self.expected[payout.shop_id]["available"] += payout.amount_idr
        db.session.commit()

    @invariant()
    def the_ledger_adds_up(self):
        assert check.problems() == []
        assert {code: ledger.balance(code) - start for code, start in self.start.items()} == self.moved
        for shop_id in self.expected:
            assert ledger.shop_balances(shop_id) == self._modelled(shop_id)


def test_random_money_movements_keep_the_ledger_whole(app, make_user, make_shop, make_product, make_order):
    app.config["MAX_UNPAID_ORDERS"] = 100        # open transfers wait unpaid, several at once
    shops = [make_shop(cash_on_pickup=True) for _ in range(SHOPS)]
    accounts = [methods_on(), transfer.add_account("Mandiri", "1440 0123 4567", "PT Pasar Desa")]
    transfer.set_method_enabled("cash_on_pickup", True)
    admin = make_user("admin")
    for shop in shops:
        account = payouts.set_bank_account(shop, payouts.BankAccountDetails("014", "1234567890", "Siti"))
        payouts.review_bank_account(account.id, admin, approve=True)
        db.session.get(ShopBankAccount, account.id).payouts_from = utcnow()
    db.session.commit()
    Market.world = {"shops": shops, "accounts": accounts, "admin": admin, "buyer": make_user("buyer"),
                    "make_order": make_order, "open": {}, "closed": {}, "owed": {},
                    "numbers": itertools.count(),
                    "products": [make_product(shop=shop, stock=100_000, price_idr=15_000 + 5_000 * n)
                                 for n, shop in enumerate(shops)]}
    run_state_machine_as_test(Market, settings=settings(
        max_examples=10, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
