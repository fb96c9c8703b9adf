"""Posting entries: balanced, once per cause, in whole rupiah; balances are sums of lines."""
import pytest

from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.models import JournalEntry, JournalLine
from marketplace.ledger.service import credit, debit


def test_an_entry_moves_money_and_balances_read_in_their_natural_sign(app, make_shop):
    shop = make_shop()
    entry, written = service.post("test", "r-1", [debit("held:stripe", 150_000),
                                                  credit(service.shop_account(shop.id, "pending"), 142_500),
                                                  credit("income:commission", 7_500)])
    assert written and len(entry.lines) == 3
    assert service.balance("held:stripe") == 150_000
    assert service.balance("income:commission") == 7_500
    assert service.shop_balances(shop.id) == {"pending": 142_500, "available": 0, "commission_owed": 0}


def test_the_same_cause_is_recorded_once(app):
    lines = [debit("held:qris", 1000), credit("refunds_owed", 1000)]
    first, written = service.post("test", "once", lines)
    again, written_again = service.post("test", "once", lines)
    assert written and not written_again and again.id == first.id
    assert db.session.query(JournalEntry).filter_by(reference="once").count() == 1
    assert service.balance("held:qris") == 1000


def test_zero_lines_are_left_out(app):
    entry, _ = service.post("test", "zero", [debit("held:stripe", 500), credit("income:commission", 500),
                                             credit("income:unique_code", 0)])
    assert [line.amount_idr for line in entry.lines] == [500, -500]


@pytest.mark.parametrize("lines", [
    [debit("held:stripe", 100), credit("income:commission", 99)],              # unbalanced
    [debit("held:stripe", 100)],                                               # one line
    [],                                                                        # nothing
    [debit("held:stripe", 100.0), credit("income:commission", 100.0)],         # not whole rupiah
    [service.Line("held:stripe", "100"), service.Line("income:commission", "-100")],  # text
    [debit("held:stripe", 10**30), credit("income:commission", 10**29)],       # huge and unbalanced
])
def test_bad_entries_are_refused_and_change_nothing(app, lines):
    with pytest.raises(InvalidInput):
        service.post("test", "bad", lines)
    assert db.session.query(JournalEntry).count() == 0
    assert db.session.query(JournalLine).count() == 0


@pytest.mark.parametrize("code", ["shop:x:pending", "shop:1:savings", "cash", "held:", "", "shop:1",
                                  "held:" + "x" * 200, "income:everything", "'; DROP TABLE journal_line; --"])
def test_unknown_account_codes_are_refused(app, code):
    with pytest.raises(ValueError):
        service.post("test", "bad-account", [debit(code, 100), credit("income:commission", 100)])
    assert db.session.query(JournalEntry).count() == 0


def test_a_balance_is_the_sum_of_many_entries(app, make_shop):
    shop = make_shop()
    pending, available = service.shop_account(shop.id, "pending"), service.shop_account(shop.id, "available")
    for n in range(1, 11):
        service.post("sale", n, [debit("held:stripe", n * 1000), credit(pending, n * 1000)])
    service.post("release", 1, [debit(pending, 30_000), credit(available, 30_000)])
    assert service.shop_balances(shop.id) == {"pending": 25_000, "available": 30_000, "commission_owed": 0}
    assert service.balance("held:stripe") == 55_000


def test_amounts_in_the_billions_add_up(app):
    big = 9_000_000_000_000
    service.post("test", "big", [debit("held:bank-1", big), credit("refunds_owed", big)])
    service.post("test", "big-2", [debit("held:bank-1", big), credit("refunds_owed", big)])
    assert service.balance("held:bank-1") == 2 * big
