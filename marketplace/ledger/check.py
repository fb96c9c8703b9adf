"""The ledger's invariants, checked from the rows themselves: `flask ledger check` and the tests.

Features above the ledger (orders, payments) know what should have been recorded; they connect a checker
to `checking`, which answers with the sentences of what it found (create_app connects them).
"""
from blinker import Namespace
from sqlalchemy import func, select

from ..extensions import db
from .models import ACCOUNT_KINDS, JournalEntry, JournalLine, LedgerAccount
from .service import _parse


checking = Namespace().signal("ledger-checking")


def problems():
    """Every broken invariant, one sentence each; an empty list when the ledger adds up."""
    found = _unbalanced_entries() + _thin_entries() + _misnamed_accounts()
    for _checker, more in checking.send(None):
        found += more
    return found


def _unbalanced_entries():
    rows = db.session.execute(select(JournalLine.entry_id, func.sum(JournalLine.amount_idr))
                              .group_by(JournalLine.entry_id).having(func.sum(JournalLine.amount_idr) != 0))
    return [f"entry {entry_id}: lines sum to {total}, not 0" for entry_id, total in rows]


def _thin_entries():
    """Entries with fewer than two lines (an entry without lines moves nothing and hides a cause)."""
    counts = (select(JournalEntry.id, func.count(JournalLine.id).label("lines"))
              .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id).group_by(JournalEntry.id).subquery())
    rows = db.session.execute(select(counts.c.id, counts.c.lines).where(counts.c.lines < 2))
    return [f"entry {entry_id}: {lines} line(s), at least 2 needed" for entry_id, lines in rows]


def _misnamed_accounts():
    found = []
    for code, kind, shop_id in db.session.execute(select(LedgerAccount.code, LedgerAccount.kind,
                                                         LedgerAccount.shop_id)):
        try:
            expected = _parse(code)
        except ValueError:
            expected = None
        if expected != (kind, shop_id) or kind not in ACCOUNT_KINDS:
            found.append(f"account {code}: kind {kind} and shop {shop_id} do not match its code")
    return found
