"""Fixtures of the ledger tests: every invariant checked after every test."""
import pytest

from marketplace.ledger import check


@pytest.fixture(autouse=True)
def ledger_adds_up(request):
    """After every test that used the app: the ledger's invariants hold on what it wrote."""
    uses_app = "app" in request.fixturenames
    if uses_app:
        request.getfixturevalue("app")  # set up before us, so rolled back only after the check
    yield
    if uses_app:
        assert check.problems() == []
