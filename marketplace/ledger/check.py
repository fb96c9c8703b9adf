"""The ledger's invariants, checked from the rows themselves: `flask ledger check` and the tests.

Features above the ledger (orders, payments) know what should have been recorded; they connect a checker
to `checking`, which answers with the sentences of what it found (create_app connects them): orders.earnings
(paid orders, cancellations, releases), payments.refunds (refunds to transfer buyers) and payments.reconcile
(the money held per receiving account against its payments, statement lines, refunds and payouts). Stripe's
held account, which payments.reconcile leaves out, is compared by payments.stripe_held, connected to
`checking_stripe` so that a test booking Stripe money with no Stripe payment behind it can leave it out.
"""
from blinker import Namespace
from sqlalchemy import func, select

from ..extensions import db
from .models import ACCOUNT_KINDS, JournalEntry, JournalLine, LedgerAccount
from .models_payouts import Payout
from .service import _parse


checking = Namespace().signal("ledger-checking")
checking_stripe = Namespace().signal("ledger-checking-stripe")


def problems(stripe=True):
    """Every broken invariant, one sentence each; an empty list when the ledger adds up. `stripe=False` leaves out
    Stripe's reconciliation, for tests that book Stripe money straight through the ledger or orders.settle_order
    with no Stripe payment behind it (`flask ledger check` always runs it)."""
    found = _unbalanced_entries() + _thin_entries() + _misnamed_accounts() + _payouts_without_entries()
    for _checker, more in checking.send(None) + (checking_stripe.send(None) if stripe else []):
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


# What each payout state must have recorded, and must not have.
PAYOUT_ENTRIES = {"sent": ({"payout_sent"}, {"payout_paid", "payout_failed"}),
                  "paid": ({"payout_sent", "payout_paid"}, {"payout_failed"}),
                  "failed": ({"payout_sent", "payout_failed"}, {"payout_paid"})}


def _payouts_without_entries():
    """Payouts whose entries do not match their state (a payout's entries name it by id)."""
    kinds = {}
    rows = db.session.execute(select(JournalEntry.reference, JournalEntry.kind)
                              .where(JournalEntry.kind.in_(("payout_sent", "payout_paid", "payout_failed"))))
    for reference, kind in rows:
        kinds.setdefault(reference, set()).add(kind)
    found = []
    for payout_id, state in db.session.execute(select(Payout.id, Payout.state)):
        needed, forbidden = PAYOUT_ENTRIES[state]
        have = kinds.pop(str(payout_id), set())
        if not needed <= have or have & forbidden:
            found.append(f"payout {payout_id}: {state}, but entries {sorted(have)}")
    found += [f"entries {sorted(have)} for payout {reference}, which does not exist" for reference, have in kinds.items()]
    return found
