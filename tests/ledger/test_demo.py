"""The demo marketplace's money adds up, and a producer has a balance ready to pay out."""
from marketplace.ledger import check, payouts
from marketplace.ledger import service as ledger


def test_the_demo_ledger_adds_up_and_has_a_payout_ready(demo):
    assert check.problems() == []
    ready = payouts.payable()
    assert len(ready) == 1 and ready[0][2] > 0
    assert ledger.balance("held:stripe") > 0
