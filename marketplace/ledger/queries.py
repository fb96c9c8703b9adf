"""Reading the ledger for pages: a shop's statement, money held and owed, income by month."""
from datetime import datetime, timezone

from blinker import Namespace
from sqlalchemy import func, select

from ..extensions import db
from .models import ACCOUNT_KINDS, JournalEntry, JournalLine, LedgerAccount
from .models_payouts import Payout, PayoutBatch, ShopBankAccount

STATEMENT_LIMIT = 200
# Features that own receiving accounts (payments) answer with {held account code: the name people know it by}.
naming_held = Namespace().signal("ledger-naming-held")


def shop_statement(shop_id, start=None, end=None, limit=STATEMENT_LIMIT):
    """The lines of a shop's accounts, newest first: (entry, account kind, amount in the shop's favour)."""
    query = (select(JournalEntry, LedgerAccount.kind, JournalLine.amount_idr)
             .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
             .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
             .where(LedgerAccount.shop_id == shop_id))
    if start is not None:
        query = query.where(JournalEntry.created_at >= start)
    if end is not None:
        query = query.where(JournalEntry.created_at < end)
    rows = db.session.execute(query.order_by(JournalEntry.id.desc(), JournalLine.id).limit(limit))
    # Credits raise what the shop is owed; what it owes (commission on cash sales) counts against it.
    return [(entry, kind, -amount) for entry, kind, amount in rows]


def month_bounds(year, month):
    """(start, end) of a calendar month in UTC."""
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def shop_payouts(shop_id, limit=50):
    """The shop's payouts, newest first."""
    return db.session.scalars(select(Payout).where(Payout.shop_id == shop_id).order_by(Payout.id.desc())
                              .limit(limit)).all()


def totals_by_kind():
    """{account kind: natural balance} over every account."""
    rows = db.session.execute(select(LedgerAccount.kind, func.sum(JournalLine.amount_idr))
                              .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
                              .group_by(LedgerAccount.kind))
    totals = {kind: 0 for kind in ACCOUNT_KINDS}
    totals.update({kind: ACCOUNT_KINDS[kind] * int(total) for kind, total in rows})
    return totals


def held_balances():
    """[(account code, balance)] of every receiving account."""
    rows = db.session.execute(select(LedgerAccount.code, func.coalesce(func.sum(JournalLine.amount_idr), 0))
                              .outerjoin(JournalLine, JournalLine.account_id == LedgerAccount.id)
                              .where(LedgerAccount.kind == "held").group_by(LedgerAccount.code)
                              .order_by(LedgerAccount.code))
    return [(code, int(total)) for code, total in rows]


def held_names():
    """{held account code: its name (bank and number)} as the features that own the accounts tell it."""
    names = {}
    for _receiver, more in naming_held.send(None):
        names.update(more)
    return names


def held_label(code, names):
    """How a held account is shown: its name and its code, or its code alone."""
    short = code.removeprefix("held:")
    return f"{names[code]} ({short})" if code in names else short


def income_by_month(months=12):
    """[(YYYY-MM, commission, unique codes)] of the last months with income, oldest first."""
    month = func.substr(func.cast(JournalEntry.created_at, db.String), 1, 7)
    rows = db.session.execute(select(month, LedgerAccount.kind, func.sum(JournalLine.amount_idr))
                              .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                              .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                              .where(LedgerAccount.kind.in_(("income_commission", "income_unique_code")))
                              .group_by(month, LedgerAccount.kind))
    by_month = {}
    for label, kind, total in rows:
        by_month.setdefault(label, [0, 0])[kind == "income_unique_code"] += -int(total)
    return [(label, *by_month[label]) for label in sorted(by_month)[-months:]]


def accounts_to_review():
    """Bank accounts waiting for an admin, oldest first."""
    return db.session.scalars(select(ShopBankAccount).where(ShopBankAccount.status == "unverified")
                              .order_by(ShopBankAccount.created_at)).all()


def batches(limit=50):
    """Payout batches, newest first."""
    return db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(limit)).all()
