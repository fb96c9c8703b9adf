"""The ledger's invariants as an autouse fixture body, for every package whose tests move money."""
from marketplace.extensions import db
from marketplace.ledger import check


# Packages whose tests take Stripe's money only through the payments service (the stand-in and its signed webhook):
# after them Stripe's reconciliation is checked too. The orders and ledger tests book money straight through
# orders.settle_order or the ledger's rules, with no Stripe payment behind it: for them that check would report
# their shortcut, not drift (it is proved by tests/ledger/test_check.py and after every step of test_properties).
STRIPE_RECONCILED = ("payments",)


def ledger_invariant_fixture(request):
    """After every test that used the app: every ledger invariant holds on what the test left, committed or
    not (orders and the ledger agree, every entry balances, each receiving account holds what its payments say)."""
    uses_app = "app" in request.fixturenames
    if uses_app:
        request.getfixturevalue("app")  # set up before us, so rolled back only after the check
    yield
    if uses_app:
        db.session.rollback()           # what the next request would see (a failed flush leaves the session dirty)
        assert check.problems(stripe=request.node.path.parent.name in STRIPE_RECONCILED) == []
