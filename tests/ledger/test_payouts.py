"""Bank accounts and payout batches: each available balance paid once, to a checked account."""
from datetime import timedelta

import pytest

from marketplace.errors import InvalidInput, InvalidState
from marketplace.extensions import db
from marketplace.ledger import payouts, rules, service
from marketplace.ledger.models_payouts import Payout, PayoutBatch
from marketplace.ledger.payouts import BankAccountDetails
from marketplace.ledger.rules import ShopShare
from marketplace.models_base import utcnow
from marketplace.notifications.models import Notification

LATER = timedelta(hours=49)


@pytest.fixture
def earning_shop(app, make_shop, make_user):
    """earning_shop(net=...) -> a shop with a verified account and `net` rupiah available."""
    admin = make_user("admin")

    def make(net=95_000, verified=True):
        shop = make_shop()
        gross = net * 100 // 95
        share = ShopShare(shop.id, gross, gross - net)
        rules.record_payment(f"payment-{shop.id}", "held:stripe", [share])
        rules.release_earnings(f"release-{shop.id}", shop.id, share.net_idr)
        account = payouts.set_bank_account(shop, BankAccountDetails("014", "123 456 7890", "Siti Aminah"))
        if verified:
            payouts.review_bank_account(account.id, admin, approve=True)
        return shop

    make.admin = admin
    return make


def _mail(kind):
    return db.session.query(Notification).filter(Notification.kind == kind).all()


def test_a_bank_account_is_tidied_and_its_owner_told(app, make_shop):
    shop = make_shop()
    account = payouts.set_bank_account(shop, BankAccountDetails("002", "0012-01-000123-50-9", "  siti   aminah "))
    assert (account.account_number, account.holder_name, account.status) == ("0012010001235 09".replace(" ", ""),
                                                                              "SITI AMINAH", "unverified")
    assert account.payouts_from > utcnow() + timedelta(hours=47)
    [mail] = _mail("producer_bank_account_changed")
    assert mail.recipient_id == shop.owner_id and "0012010001235" not in mail.body and "5 09"[-2:] in mail.body


@pytest.mark.parametrize("bank, number, name, field", [
    ("999", "1234567890", "Siti", "bank_code"),
    ("", "1234567890", "Siti", "bank_code"),
    ("014", "12ab", "Siti", "account_number"),
    ("014", "1" * 21, "Siti", "account_number"),
    ("014", "١٢٣٤٥٦٧", "Siti", "account_number"),          # Arabic-Indic digits
    ("014", "1234567890", "", "holder_name"),
    ("014", "1234567890", "<script>alert(1)</script>", "holder_name"),
    ("014", "1234567890", "x" * 500, "holder_name"),
    ("014", "1234567890", "Siti\r\nBcc: x@evil.example", "holder_name"),
])
def test_bad_bank_details_are_refused_and_change_nothing(app, make_shop, bank, number, name, field):
    shop = make_shop()
    with pytest.raises(InvalidInput) as refused:
        payouts.set_bank_account(shop, BankAccountDetails(bank, number, name))
    assert refused.value.field == field
    assert payouts.current_account(shop.id) is None and _mail("producer_bank_account_changed") == []


def test_a_change_replaces_the_account_and_holds_payouts_again(app, earning_shop):
    shop = earning_shop()
    first = payouts.current_account(shop.id)
    second = payouts.set_bank_account(shop, BankAccountDetails("008", "9876543210", "Siti Aminah"))
    assert first.status == "replaced" and second.status == "unverified"
    assert payouts.set_bank_account(shop, BankAccountDetails("008", "98765 43210", "siti aminah")).id == second.id
    assert payouts.payable(utcnow() + LATER) == []           # not verified yet


def test_a_batch_pays_available_balances_once(app, earning_shop):
    rich, poor = earning_shop(95_000), earning_shop(40_000)
    batch = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER)
    assert [(p.shop_id, p.amount_idr) for p in batch.payouts] == [(rich.id, 95_000)]
    assert service.shop_balances(rich.id)["available"] == 0
    assert service.shop_balances(poor.id)["available"] == 40_000     # under Rp50.000: waits
    assert payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER) is None
    assert db.session.query(PayoutBatch).count() == 1


def test_no_payout_within_48_hours_of_a_change(app, earning_shop):
    earning_shop()
    assert payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow()) is None


def test_paid_and_failed_payouts(app, earning_shop):
    paid_shop, failed_shop = earning_shop(95_000), earning_shop(190_000)
    batch = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER)
    by_shop = {p.shop_id: p for p in batch.payouts}
    payouts.mark_paid(by_shop[paid_shop.id].id, "TRF 2026120600012")
    payouts.mark_failed(by_shop[failed_shop.id].id, "Nomor rekening tidak aktif")
    assert service.balance("held:stripe") == 100_000 + 200_000 - 95_000
    assert service.balance("in_transit") == 0
    assert service.shop_balances(failed_shop.id)["available"] == 190_000
    assert len(_mail("producer_payout_paid")) == 1 and len(_mail("producer_payout_failed")) == 1
    with pytest.raises(InvalidState):
        payouts.mark_paid(by_shop[paid_shop.id].id, "TRF again")
    with pytest.raises(InvalidState):
        payouts.mark_failed(by_shop[failed_shop.id].id, "again")


@pytest.mark.parametrize("reference", ["", "ab", "x" * 61, "ref\x00null"])
def test_a_payout_needs_a_real_bank_reference(app, earning_shop, reference):
    earning_shop()
    [payout] = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER).payouts
    with pytest.raises(InvalidInput):
        payouts.mark_paid(payout.id, reference)
    assert db.session.get(Payout, payout.id).state == "sent"


def test_commission_owed_on_cash_sales_is_taken_from_the_payout(app, earning_shop):
    shop = earning_shop(95_000)
    rules.record_cash_commission("cash-1", shop.id, 6_000)
    [payout] = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER).payouts
    assert payout.amount_idr == 89_000
    assert service.shop_balances(shop.id) == {"pending": 0, "available": 0, "commission_owed": 0}


def test_a_refund_after_payout_is_taken_back_from_the_next(app, earning_shop, make_user):
    shop = earning_shop(95_000)
    [payout] = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER).payouts
    payouts.mark_paid(payout.id, "TRF 1")
    rules.record_cancellation("cancel-1", ShopShare(shop.id, 100_000, 5_000), released=True)
    assert service.shop_balances(shop.id)["available"] == -95_000
    rules.record_payment("payment-next", "held:stripe", [ShopShare(shop.id, 200_000, 10_000)])
    rules.release_earnings("release-next", shop.id, 190_000)
    [second] = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER).payouts
    assert second.amount_idr == 95_000


def test_a_batch_from_an_account_that_is_not_money_held_is_refused(app, earning_shop):
    earning_shop()
    for source in ("refunds_owed", "income:commission", "nowhere"):
        with pytest.raises((InvalidInput, ValueError)):
            payouts.create_batch(earning_shop.admin, source, now=utcnow() + LATER)
    assert db.session.query(PayoutBatch).count() == 0


@pytest.mark.parametrize("minimum", [None, 1, 0, -10**9])
def test_a_batch_never_pays_more_than_a_shop_has(app, earning_shop, minimum):
    """Whatever minimum a caller passes, a batch line is never zero, negative, or above what the shop may take:
    a balance taken back by a refund after its payout, a balance of nothing, and commission owed on cash sales
    above the balance all pay nothing, and the balances stay as they were."""
    overdrawn = earning_shop(95_000)
    [first] = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER).payouts
    payouts.mark_paid(first.id, "TRF 1")
    rules.record_cancellation("cancel-1", ShopShare(overdrawn.id, 100_000, 5_000), released=True)
    empty = earning_shop(95_000)
    [emptied] = payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER).payouts
    assert emptied.shop_id == empty.id
    owing = earning_shop(95_000)
    rules.record_cash_commission("cash-1", owing.id, 100_000)
    shops = (overdrawn, empty, owing)
    before = {shop.id: service.shop_balances(shop.id) for shop in shops}
    assert [before[shop.id]["available"] - before[shop.id]["commission_owed"] for shop in shops] == [-95_000, 0, -5_000]
    assert payouts.payable(now=utcnow() + LATER, minimum=minimum) == []
    assert payouts.create_batch(earning_shop.admin, "held:stripe", now=utcnow() + LATER, minimum=minimum) is None
    assert {shop.id: service.shop_balances(shop.id) for shop in shops} == before
    assert db.session.query(Payout).count() == 2
