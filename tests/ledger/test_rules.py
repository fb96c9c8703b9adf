"""The marketplace's money movements as entries: a payment split between shops, a cancellation, earnings
released after delivery, a refund paid, a cash sale's commission; every entry balanced, once."""
from marketplace.ledger import rules, service
from marketplace.ledger.rules import ShopShare


def test_a_transfer_for_two_shops_with_a_unique_code(app, make_shop):
    honey, crackers = make_shop(), make_shop()
    shares = [ShopShare(honey.id, 100_000, 5_000), ShopShare(crackers.id, 50_000, 2_500)]
    rules.record_payment("payment-1", "held:bank-1", shares, unique_code_idr=237)
    assert service.balance("held:bank-1") == 150_237
    assert service.balance("income:unique_code") == 237
    assert service.balance("income:commission") == 7_500
    assert service.shop_balances(honey.id)["pending"] == 95_000
    assert service.shop_balances(crackers.id)["pending"] == 47_500


def test_one_shop_cancels_and_the_other_is_released(app, make_shop):
    honey, crackers = make_shop(), make_shop()
    honey_share, crackers_share = ShopShare(honey.id, 100_000, 5_000), ShopShare(crackers.id, 50_000, 2_500)
    rules.record_payment("payment-2", "held:bank-1", [honey_share, crackers_share], unique_code_idr=237)
    rules.record_cancellation("shop-order-2a", crackers_share, released=False)
    rules.release_earnings("shop-order-2b", honey.id, honey_share.net_idr)
    rules.record_refund_paid("refund-2a", "held:bank-1", 50_000)
    assert service.shop_balances(crackers.id) == {"pending": 0, "available": 0, "commission_owed": 0}
    assert service.shop_balances(honey.id) == {"pending": 0, "available": 95_000, "commission_owed": 0}
    assert service.balance("income:commission") == 5_000
    assert service.balance("refunds_owed") == 0
    assert service.balance("held:bank-1") == 100_237     # honey's 95.000 + fee 5.000 + the code


def test_a_refund_after_release_takes_the_balance_below_zero(app, make_shop):
    shop = make_shop()
    share = ShopShare(shop.id, 80_000, 4_000)
    rules.record_payment("payment-3", "held:stripe", [share])
    rules.release_earnings("shop-order-3", shop.id, share.net_idr)
    service.post("payout_made", "payout-3", [service.debit(service.shop_account(shop.id, "available"), 76_000),
                                            service.credit("held:stripe", 76_000)])
    rules.record_cancellation("shop-order-3", share, released=True)
    assert service.shop_balances(shop.id)["available"] == -76_000
    assert service.balance("refunds_owed") == 80_000


def test_a_late_payment_is_owed_back(app):
    rules.record_late_payment("payment-4", "held:qris", 125_412)
    assert service.balance("held:qris") == 125_412 and service.balance("refunds_owed") == 125_412


def test_cash_at_pickup_leaves_the_commission_owed_by_the_shop(app, make_shop):
    shop = make_shop()
    rules.record_cash_commission("shop-order-5", shop.id, 3_000)
    rules.record_cash_commission("shop-order-5", shop.id, 3_000)      # a retry changes nothing
    assert service.shop_balances(shop.id)["commission_owed"] == 3_000
    assert service.balance("income:commission") == 3_000


def test_a_payment_replayed_is_recorded_once(app, make_shop):
    share = ShopShare(make_shop().id, 60_000, 3_000)
    first, written = rules.record_payment("payment-6", "held:stripe", [share])
    again, written_again = rules.record_payment("payment-6", "held:stripe", [share])
    assert written and not written_again and first.id == again.id
    assert service.balance("held:stripe") == 60_000
