"""The ledger's invariants as an autouse fixture body, for every package whose tests move money."""
from marketplace.extensions import db
from marketplace.ledger import check


def ledger_invariant_fixture(request):
    """After every test that used the app: every ledger invariant holds on what the test left, committed or
    not (orders and the ledger agree, every entry balances)."""
    uses_app = "app" in request.fixturenames
    if uses_app:
        request.getfixturevalue("app")  # set up before us, so rolled back only after the check
    yield
    if uses_app:
        db.session.rollback()           # what the next request would see (a failed flush leaves the session dirty)
        assert check.problems() == []
