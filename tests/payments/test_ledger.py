"""Money that arrives for nothing the buyer can get is held and owed back, once; only whole IDR is booked."""
import pytest

from marketplace.ledger import service as ledger
from marketplace.payments import service as payments


def test_a_late_payment_is_held_and_owed_back_once(app):
    for _delivery in range(3):
        payments.owe_refund("pi_late_ledger", None, 12_500_000, "idr", "stock_released")
    assert ledger.balance("held:stripe") == 125_000 and ledger.balance("refunds_owed") == 125_000


@pytest.mark.parametrize("amount, currency", [(12_500_000, "usd"), (12_500_050, "idr"), (-100, "idr"),
                                              ("12500000", "idr"), (None, "idr"), (True, "idr")])
def test_amounts_the_ledger_cannot_book_are_left_to_the_admin_flag(app, amount, currency):
    refund = payments.owe_refund("pi_odd", None, amount, currency, "amount_mismatch")
    assert refund is not None
    assert ledger.balance("held:stripe") == 0 and ledger.balance("refunds_owed") == 0
