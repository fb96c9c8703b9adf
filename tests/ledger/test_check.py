"""`flask ledger check` finds drift and exits non-zero; a ledger that adds up passes."""
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger import check, service
from marketplace.ledger.service import credit, debit


def _smuggle_line(entry, amount):
    """An unbalanced line written around the service, as a bug or a hand-made fix would."""
    db.session.execute(sa.text("INSERT INTO journal_line (entry_id, account_id, amount_idr) VALUES (:e, :a, :n)"),
                       {"e": entry.id, "a": entry.lines[0].account_id, "n": amount})


def test_a_ledger_that_adds_up_passes(app, runner):
    service.post("test", "ok", [debit("held:stripe", 10_000), credit("income:commission", 10_000)])
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 0 and "adds up" in result.output


def test_an_unbalanced_entry_is_found(app, runner):
    entry, _ = service.post("test", "drift", [debit("held:stripe", 10_000), credit("income:commission", 10_000)])
    _smuggle_line(entry, 1)
    assert check.problems() == [f"entry {entry.id}: lines sum to 1, not 0"]
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1 and "1 problem(s) found." in result.output
    db.session.rollback()


def test_an_entry_without_lines_is_found(app):
    db.session.execute(sa.text("INSERT INTO journal_entry (kind, reference, memo, created_at) "
                               "VALUES ('test', 'empty', '', CURRENT_TIMESTAMP)"))
    found = check.problems()
    assert len(found) == 1 and "0 line(s)" in found[0]
    db.session.rollback()


def test_an_account_whose_kind_contradicts_its_code_is_found(app):
    db.session.execute(sa.text("INSERT INTO ledger_account (code, kind, version, created_at) "
                               "VALUES ('held:stripe', 'income_commission', 0, CURRENT_TIMESTAMP)"))
    assert check.problems() == ["account held:stripe: kind income_commission and shop None do not match its code"]
    db.session.rollback()


def test_a_payout_marked_paid_without_its_entry_is_found(app, make_shop, make_user):
    from datetime import timedelta

    from marketplace.ledger import payouts, rules
    from marketplace.ledger.models_payouts import Payout
    from marketplace.models_base import utcnow

    shop = make_shop()
    rules.record_payment("pay-x", "held:stripe", [rules.ShopShare(shop.id, 100_000, 0)])
    rules.release_earnings("rel-x", shop.id, 100_000)
    account = payouts.set_bank_account(shop, payouts.BankAccountDetails("014", "1234567890", "Siti"))
    payouts.review_bank_account(account.id, make_user("admin"), approve=True)
    [payout] = payouts.create_batch(make_user("admin"), "held:stripe", now=utcnow() + timedelta(days=3)).payouts
    assert check.problems() == []
    db.session.execute(sa.update(Payout).where(Payout.id == payout.id).values(state="paid"))
    assert check.problems() == [f"payout {payout.id}: paid, but entries ['payout_sent']"]
    db.session.rollback()
