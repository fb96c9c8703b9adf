"""Fixtures of the ledger tests: every invariant checked after every test."""
import pytest

from tests.ledger.helpers import ledger_invariant_fixture


@pytest.fixture(autouse=True)
def ledger_adds_up(request):
    """After every test that used the app: the ledger's invariants hold on what it wrote."""
    yield from ledger_invariant_fixture(request)
