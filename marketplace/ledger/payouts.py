"""Paying producers: their bank accounts (checked by an admin, held 48 hours after a change) and payout
batches that take each available balance once, however many admins press the button at the same moment."""
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..links import site_url_for
from ..models_base import utcnow
from ..notifications import service as notifications
from . import service
from .banks import banks
from .models import LedgerAccount
from .models_payouts import Payout, PayoutBatch, ShopBankAccount
from .service import credit, debit, shop_account

HOLD_AFTER_CHANGE = timedelta(hours=48)
HOLDER_NAME = re.compile(r"[A-Za-z][A-Za-z .,'-]{1,99}")


@dataclass(frozen=True)
class BankAccountDetails:
    """What a producer types: the bank's code, the account number, the holder's name."""

    bank_code: str
    account_number: str
    holder_name: str


def clean_details(details):
    """The details tidied (digits only, single spaces, upper-case name), or InvalidInput naming the field."""
    if details.bank_code not in banks():
        raise InvalidInput(_("Pilih bank dari daftar."), field="bank_code")
    number = re.sub(r"[\s.-]", "", details.account_number or "")
    if not number.isascii() or not number.isdigit() or not 5 <= len(number) <= 20:
        raise InvalidInput(_("Nomor rekening berisi 5 sampai 20 angka."), field="account_number")
    name = " ".join(unicodedata.normalize("NFKC", details.holder_name or "").split()).upper()
    if not HOLDER_NAME.fullmatch(name):
        raise InvalidInput(_("Tulis nama pemilik rekening seperti di buku tabungan (huruf saja)."),
                           field="holder_name")
    return BankAccountDetails(details.bank_code, number, name)


def current_account(shop_id):
    """The shop's current bank account (verified or not), or None."""
    return db.session.scalar(select(ShopBankAccount).where(ShopBankAccount.shop_id == shop_id,
                                                           ShopBankAccount.status != "replaced"))


def set_bank_account(shop, details, now=None):
    """Give the shop a new bank account to be checked by an admin; payouts wait 48 hours and the owner
    is emailed, so a stolen password cannot move their money silently. The same details again change nothing."""
    details, now = clean_details(details), now or utcnow()
    current = current_account(shop.id)
    if current is not None and (current.bank_code, current.account_number, current.holder_name) == \
            (details.bank_code, details.account_number, details.holder_name):
        return current
    if current is not None:
        current.status = "replaced"
        db.session.flush()
    account = ShopBankAccount(shop_id=shop.id, bank_code=details.bank_code, account_number=details.account_number,
                              holder_name=details.holder_name, status="unverified",
                              payouts_from=now + HOLD_AFTER_CHANGE, created_at=now)
    db.session.add(account)
    db.session.flush()
    _tell_owner("bank_account_changed", account.id, shop, account=account)
    return account


def review_bank_account(account_id, admin, approve, note=""):
    """An admin's check of the holder's name against the shop owner: verified, or rejected with a reason."""
    if not approve and not note.strip():
        raise InvalidInput(_("Tulis alasan penolakan."), field="note")
    changed = db.session.execute(
        update(ShopBankAccount).where(ShopBankAccount.id == account_id, ShopBankAccount.status == "unverified")
        .values(status="verified" if approve else "rejected", review_note=note.strip()[:300],
                reviewed_by_id=admin.id, reviewed_at=utcnow()),
        execution_options={"synchronize_session": False}).rowcount
    if changed != 1:
        raise InvalidState(_("Rekening ini sudah diperiksa atau sudah diganti."))
    account = db.session.get(ShopBankAccount, account_id, populate_existing=True)
    _tell_owner("bank_account_" + account.status, account.id, account.shop, account=account)
    return account


def _minimum(minimum):
    """The least a payout may send: the setting (or the caller's), and never less than Rp1, so that a balance of
    zero or below (a refund after a payout) is never a payout."""
    return max(current_app.config["PAYOUT_MINIMUM"] if minimum is None else minimum, 1)


def _payable_amount(balances):
    """What a shop may be paid: its available balance less the commission it owes on cash sales (never more
    than its available balance)."""
    return balances["available"] - max(balances["commission_owed"], 0)


def payable(now=None, minimum=None):
    """[(shop id, verified account, amount)] of every shop that a batch would pay now: a verified account
    past its hold, and an available balance (less commission owed on cash sales) of at least the minimum."""
    now, minimum = now or utcnow(), _minimum(minimum)
    accounts = db.session.scalars(select(ShopBankAccount).where(ShopBankAccount.status == "verified",
                                                                ShopBankAccount.payouts_from <= now)
                                  .order_by(ShopBankAccount.shop_id))
    found = []
    for account in accounts:
        amount = _payable_amount(service.shop_balances(account.shop_id))
        if amount >= minimum:
            found.append((account.shop_id, account, amount))
    return found


def create_batch(admin, source, now=None, minimum=None):
    """A batch paying every payable shop from the `source` receiving account, each amount fixed now; None
    when no shop is payable. A shop whose balance another batch took meanwhile is left out of this one."""
    service.account(source)                       # a code that names no held account is refused here
    if not source.startswith("held:"):
        raise InvalidInput(_("Pilih rekening sumber pembayaran."), field="source")
    batch = PayoutBatch(created_by_id=admin.id, source=source, created_at=now or utcnow())
    db.session.add(batch)
    db.session.flush()
    for shop_id, account, _amount in payable(now, minimum):
        _take_balance(batch, shop_id, account, minimum)
    if not batch.payouts:
        db.session.delete(batch)
        db.session.flush()
        return None
    return batch


def _take_balance(batch, shop_id, bank_account, minimum):
    """Move the shop's balance into this batch, unless another batch moved it first: the version of the
    shop's available account is read before the balance and bumped by a conditional UPDATE."""
    available = service.account(shop_account(shop_id, "available"))
    seen = db.session.scalar(select(LedgerAccount.version).where(LedgerAccount.id == available.id))
    balances = service.shop_balances(shop_id)
    owed, amount = max(balances["commission_owed"], 0), _payable_amount(balances)
    if amount < _minimum(minimum):
        return None
    claimed = db.session.execute(update(LedgerAccount).where(LedgerAccount.id == available.id,
                                                             LedgerAccount.version == seen)
                                 .values(version=seen + 1), execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:
        return None
    payout = Payout(batch=batch, shop_id=shop_id, bank_account_id=bank_account.id, amount_idr=amount, state="sent")
    db.session.add(payout)
    db.session.flush()
    lines = [debit(available.code, amount + owed), credit(shop_account(shop_id, "commission_owed"), owed),
             credit("in_transit", amount)]
    service.post("payout_sent", payout.id, lines)
    return payout


def mark_paid(payout_id, bank_reference):
    """The bank confirmed the transfer: the money leaves the source account; the producer is emailed."""
    reference = " ".join((bank_reference or "").split())
    if not 3 <= len(reference) <= 60 or not reference.isprintable():
        raise InvalidInput(_("Tulis nomor referensi bank (3 sampai 60 karakter)."), field="bank_reference")
    payout = _settle(payout_id, "paid", bank_reference=reference)
    service.post("payout_paid", payout.id, [debit("in_transit", payout.amount_idr),
                                           credit(payout.batch.source, payout.amount_idr)])
    _tell_owner("payout_paid", payout.id, payout.shop, payout=payout)
    return payout


def mark_failed(payout_id, reason):
    """The transfer failed: the money returns to the shop's available balance; the producer is emailed."""
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 300:
        raise InvalidInput(_("Tulis alasan kegagalan (3 sampai 300 karakter)."), field="reason")
    payout = _settle(payout_id, "failed", failure_reason=reason)
    service.post("payout_failed", payout.id, [debit("in_transit", payout.amount_idr),
                                             credit(shop_account(payout.shop_id, "available"), payout.amount_idr)])
    _tell_owner("payout_failed", payout.id, payout.shop, payout=payout)
    return payout


def _settle(payout_id, state, **values):
    """Move a sent payout to paid or failed, once: a second press (or a concurrent one) is refused."""
    changed = db.session.execute(update(Payout).where(Payout.id == payout_id, Payout.state == "sent")
                                 .values(state=state, settled_at=utcnow(), **values),
                                 execution_options={"synchronize_session": False}).rowcount
    if changed != 1:
        raise InvalidState(_("Pembayaran ini sudah dicatat."))
    return db.session.get(Payout, payout_id, populate_existing=True)


def _tell_owner(kind, object_id, shop, **context):
    """Email the shop's owner about their money, once per event."""
    owner = shop.owner
    notifications.write(f"{kind}:{object_id}:{owner.id}", f"producer_{kind}", owner, shop=shop,
                        balance_url=site_url_for("ledger.balance"), **context)
