"""The journal is only ever added to: the ORM and the database both refuse edits and deletes."""
import pytest
import sqlalchemy as sa

from marketplace.errors import InvalidState
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.service import credit, debit


@pytest.fixture
def entry(app):
    written, _ = service.post("test", "history", [debit("held:stripe", 2000), credit("income:commission", 2000)])
    db.session.flush()
    return written


def test_the_orm_refuses_to_edit_a_line(entry):
    entry.lines[0].amount_idr = 1
    with pytest.raises(InvalidState):
        db.session.flush()
    db.session.rollback()


def test_the_orm_refuses_to_delete_an_entry(entry):
    db.session.delete(entry)
    with pytest.raises(InvalidState):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("sql", [
    "UPDATE journal_line SET amount_idr = amount_idr * 2",
    "DELETE FROM journal_line",
    "UPDATE journal_entry SET reference = 'other'",
    "DELETE FROM journal_entry",
])
def test_the_database_refuses_raw_edits_and_deletes(entry, sql):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.text(sql))
    assert service.balance("held:stripe") == 2000


def test_a_zero_line_is_refused_by_the_database(entry):
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.execute(sa.text("INSERT INTO journal_line (entry_id, account_id, amount_idr) "
                                       "VALUES (:entry, :account, 0)"),
                               {"entry": entry.id, "account": entry.lines[0].account_id})
