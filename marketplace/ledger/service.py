"""Writing the journal and reading balances. Callers pass plain values (ids, whole rupiah) and write
the entry in the same transaction as its cause; each cause is recorded once.

Account codes: `held:<name>` (stripe, bank-<receiving account id>; bank and qris for transfer and QRIS money
whose receiving account is not known), `in_transit`, `refunds_owed`,
`income:commission`, `income:unique_code`, and per shop `shop:<id>:pending`, `shop:<id>:available`,
`shop:<id>:commission_owed`.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput
from ..extensions import db
from .models import ACCOUNT_KINDS, JournalEntry, JournalLine, LedgerAccount

SHOP_ACCOUNT_KINDS = {"pending": "shop_pending", "available": "shop_available",
                      "commission_owed": "shop_commission_owed"}
SINGLE_ACCOUNT_KINDS = {"in_transit": "in_transit", "refunds_owed": "refunds_owed",
                        "income:commission": "income_commission", "income:unique_code": "income_unique_code"}


@dataclass(frozen=True)
class Line:
    """One side of an entry to post: an account code and a signed amount (debit positive)."""

    account: str
    amount_idr: int


def debit(account, amount_idr):
    """A debit line."""
    return Line(account, amount_idr)


def credit(account, amount_idr):
    """A credit line."""
    return Line(account, -amount_idr)


def shop_account(shop_id, which):
    """The code of a shop's account: which is pending, available or commission_owed."""
    if which not in SHOP_ACCOUNT_KINDS:
        raise ValueError(f"no shop account {which!r}")
    return f"shop:{int(shop_id)}:{which}"


def held_account(name):
    """The code of a receiving account's money held: stripe, bank-<id>, or (unassigned) bank or qris."""
    return f"held:{name}"


def _parse(code):
    """(kind, shop id) of an account code; ValueError for a code that names no account."""
    if code in SINGLE_ACCOUNT_KINDS:
        return SINGLE_ACCOUNT_KINDS[code], None
    prefix, _sep, rest = code.partition(":")
    if prefix == "held" and rest and len(code) <= 80:
        return "held", None
    if prefix == "shop":
        shop_id, _sep, which = rest.partition(":")
        if shop_id.isdigit() and which in SHOP_ACCOUNT_KINDS:
            return SHOP_ACCOUNT_KINDS[which], int(shop_id)
    raise ValueError(f"no ledger account {code!r}")


def account(code):
    """The account with this code, created on first use (a concurrent creation is caught)."""
    found = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if found is not None:
        return found
    kind, shop_id = _parse(code)
    created = LedgerAccount(code=code, kind=kind, shop_id=shop_id)
    try:
        with db.session.begin_nested():
            db.session.add(created)
    except IntegrityError:
        return db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    return created


def _accounts(codes):
    """{code: account} for the codes, read in one query; missing ones created."""
    found = {row.code: row for row in db.session.scalars(select(LedgerAccount).where(LedgerAccount.code.in_(codes)))}
    return {code: found.get(code) or account(code) for code in codes}


def _check_lines(lines):
    if len(lines) < 2:
        raise InvalidInput(_("Satu jurnal butuh sedikitnya dua baris."))
    for line in lines:
        if type(line.amount_idr) is not int or line.amount_idr == 0:
            raise InvalidInput(_("Setiap baris jurnal berisi rupiah bulat selain nol."))
    if sum(line.amount_idr for line in lines) != 0:
        raise InvalidInput(_("Debit dan kredit satu jurnal harus sama besar."))


def post(kind, reference, lines, memo="", order_id=None, shop_order_id=None):
    """Record one entry for (kind, reference), once: (entry, True) when written now, (the entry already
    there, False) when this cause was recorded before, by this transaction or a concurrent one."""
    lines = [line for line in lines if line.amount_idr != 0]     # e.g. no unique code: no line for it
    _check_lines(lines)
    existing = _entry(kind, reference)
    if existing is not None:
        return existing, False
    entry = JournalEntry(kind=kind, reference=str(reference)[:120], memo=memo[:300], order_id=order_id,
                         shop_order_id=shop_order_id)
    accounts = _accounts({line.account for line in lines})
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
            db.session.add_all(JournalLine(entry_id=entry.id, account_id=accounts[line.account].id,
                                           amount_idr=line.amount_idr) for line in lines)
    except IntegrityError:
        return _entry(kind, reference), False
    return entry, True


def _entry(kind, reference):
    return db.session.scalar(select(JournalEntry).where(JournalEntry.kind == kind,
                                                        JournalEntry.reference == str(reference)[:120]))


def balance(code):
    """The account's balance in its natural sign (0 for an account never used)."""
    kind, _shop_id = _parse(code)
    total = db.session.scalar(select(func.coalesce(func.sum(JournalLine.amount_idr), 0))
                              .join(LedgerAccount).where(LedgerAccount.code == code))
    return ACCOUNT_KINDS[kind] * int(total)


def shop_balances(shop_id):
    """{'pending': ..., 'available': ..., 'commission_owed': ...} of a shop, in rupiah."""
    rows = db.session.execute(select(LedgerAccount.kind, func.sum(JournalLine.amount_idr))
                              .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
                              .where(LedgerAccount.shop_id == shop_id).group_by(LedgerAccount.kind))
    by_kind = {kind: ACCOUNT_KINDS[kind] * int(total) for kind, total in rows}
    return {which: by_kind.get(kind, 0) for which, kind in SHOP_ACCOUNT_KINDS.items()}
