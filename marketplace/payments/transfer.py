"""Bank transfer with a unique code: the buyer transfers the order's total plus 1-999 rupiah, an amount no other
open transfer asks, so that the credit on the platform's statement names its payment by amount alone.

The code is the buyer's to pay and the platform's to keep (the ledger books it). Uniqueness is the database's
partial unique index on open transfers' amounts, not a check-then-insert: two checkouts choosing the same amount
at once collide on insert and the loser tries another code.
"""
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..i18n import rupiah
from ..models_base import utcnow
from ..orders.limits import QRIS_MAX_IDR
from . import proofs, qris
from .models import MAX_UNIQUE_CODE, TRANSFER_METHODS, Payment, PaymentMethodSetting, ReceivingAccount
from .settle import open_attempt, settle, start_attempt

CODE_TRIES = 40
ACCOUNT_NUMBER = re.compile(r"[0-9][0-9 ]*")
# Offered at checkout unless an admin switched them; the others wait for an admin to set them up.
ENABLED_BY_DEFAULT = ("stripe",)
# The most a payment may ask, code included, where the method caps it (checkout keeps totals Rp999 below).
CODE_ROOM_IDR = {"qris": QRIS_MAX_IDR}


def method_settings():
    """{method: its setting} for every method an admin has set, in one query."""
    return {setting.method: setting for setting in db.session.scalars(select(PaymentMethodSetting))}


def method_enabled(method, settings=None):
    """True when the platform offers this method (bank transfer also needs an active receiving account, QRIS the
    platform's static payload); settings: method_settings() already read, when asking about several methods."""
    setting = settings.get(method) if settings is not None else db.session.get(PaymentMethodSetting, method)
    enabled = setting.enabled if setting is not None else method in ENABLED_BY_DEFAULT
    if enabled and method == "bank_transfer":
        return bool(active_accounts())
    if enabled and method == "qris":
        return bool(setting.payload)
    return enabled


def set_method_enabled(method, enabled):
    """An admin's switch for one method."""
    setting = db.session.get(PaymentMethodSetting, method) or PaymentMethodSetting(method=method)
    setting.enabled = bool(enabled)
    db.session.add(setting)
    db.session.flush()
    return setting


def set_qris_payload(payload):
    """Store the platform's static QRIS payload once it passes qris.validate_static (InvalidInput with the
    reason otherwise); returns the merchant name it carries."""
    payload = str(payload or "").strip()
    merchant = qris.validate_static(payload)
    setting = db.session.get(PaymentMethodSetting, "qris") or PaymentMethodSetting(method="qris", enabled=False)
    setting.payload = payload
    db.session.add(setting)
    db.session.flush()
    return merchant


def qris_payload():
    """The platform's static QRIS payload, or "" when no admin has set one."""
    setting = db.session.get(PaymentMethodSetting, "qris")
    return setting.payload if setting is not None else ""


def qris_code(payment):
    """The payment's dynamic QRIS as an inline SVG (amount filled in), or None when no static payload is set."""
    static = qris_payload()
    if not static or payment.method != "qris":
        return None
    return qris.svg(qris.dynamic_payload(static, payment.amount_idr),
                    title=_("QRIS %(amount)s", amount=rupiah(payment.amount_idr)))


def active_accounts():
    """The receiving accounts shown to buyers, oldest first."""
    return db.session.scalars(select(ReceivingAccount).where(ReceivingAccount.active.is_(True))
                              .order_by(ReceivingAccount.id)).all()


def start_transfer(order, method="bank_transfer", now=None):
    """The order's open transfer attempt, opened with a free unique code when there is none; the goods stay
    reserved until its deadline (BANK_TRANSFER_HOURS)."""
    assert method in TRANSFER_METHODS
    existing = open_attempt(order)
    if existing is not None and existing.method == method:
        return existing
    now = now or utcnow()
    deadline = now + timedelta(hours=current_app.config["BANK_TRANSFER_HOURS"])
    for _attempt in range(CODE_TRIES):
        code = _candidate_code(order.total_idr, CODE_ROOM_IDR.get(method, MAX_UNIQUE_CODE + order.total_idr)
                               - order.total_idr)
        payment = start_attempt(order, method, deadline, unique_code_idr=code, now=now)
        if payment is not None:
            order.expires_at = deadline
            db.session.flush()
            return payment
    raise InvalidState(_("Semua kode unik untuk jumlah ini sedang dipakai; coba lagi sebentar lagi."))


def _candidate_code(total_idr, room_idr=MAX_UNIQUE_CODE):
    """A code no open transfer of this total uses now (a concurrent checkout may still take it first), and no
    larger than the room the method's limit leaves above the total (QRIS stops at Rp10 juta)."""
    taken = {amount - total_idr for amount in db.session.scalars(select(Payment.amount_idr).where(
        Payment.state == "pending", Payment.method.in_(TRANSFER_METHODS),
        Payment.amount_idr.between(total_idr + 1, total_idr + MAX_UNIQUE_CODE)))}
    free = [code for code in range(1, min(MAX_UNIQUE_CODE, room_idr) + 1) if code not in taken]
    if not free:
        raise InvalidState(_("Semua kode unik untuk jumlah ini sedang dipakai; coba lagi sebentar lagi."))
    return secrets.choice(free)


def add_account(bank, account_number, holder_name):
    """Register a receiving account; the number keeps only its digits (and the spaces a bank prints)."""
    bank, holder_name = " ".join(str(bank or "").split()), " ".join(str(holder_name or "").split())
    number = " ".join(str(account_number or "").split())
    if not 2 <= len(bank) <= 60:
        raise InvalidInput(_("Nama bank 2 sampai 60 huruf."), field="bank")
    if not ACCOUNT_NUMBER.fullmatch(number) or not 6 <= len(number.replace(" ", "")) <= 20:
        raise InvalidInput(_("Nomor rekening 6 sampai 20 angka."), field="account_number")
    if not 2 <= len(holder_name) <= 120:
        raise InvalidInput(_("Nama pemilik rekening 2 sampai 120 huruf."), field="holder_name")
    account = ReceivingAccount(bank=bank, account_number=number, holder_name=holder_name, active=True)
    db.session.add(account)
    db.session.flush()
    return account


def deactivate_account(account_id):
    """Stop showing an account to buyers (kept for the statements already imported against it)."""
    account = db.session.get(ReceivingAccount, account_id)
    if account is None:
        raise InvalidInput(_("Rekening tidak ditemukan."))
    account.active = False
    db.session.flush()
    return account


def open_transfers(limit=200):
    """Open transfer attempts for the admins' queue, oldest first."""
    return db.session.scalars(select(Payment).where(Payment.state == "pending", Payment.method.in_(TRANSFER_METHODS))
                              .order_by(Payment.created_at, Payment.id).limit(limit)).all()


def confirm_received(payment_id, bank_reference, now=None, admin=None, account_id=None):
    """An admin saw the exact amount arrive in receiving account `account_id` (default: the first active one, the
    account buyers see first): settle the attempt with the bank's reference (its waiting proofs are accepted with
    it); returns the outcome."""
    reference = " ".join(str(bank_reference or "").split())
    if not 3 <= len(reference) <= 100:
        raise InvalidInput(_("Tuliskan referensi bank (3 sampai 100 huruf)."), field="bank_reference")
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.method not in TRANSFER_METHODS:
        raise InvalidInput(_("Pembayaran tidak ditemukan."))
    if payment.state != "pending":
        raise InvalidState(_("Pembayaran ini sudah ditutup."))
    account_id = _arrival_account(account_id)
    payment.bank_reference = reference
    outcome = settle(payment, payment.amount_idr, f"admin: {reference}", now=now, account_id=account_id)
    if outcome == "paid":
        proofs.accept_waiting(payment, admin, now)
    return outcome


def _arrival_account(account_id):
    """The receiving account an admin's confirmation books the money in: the one named, else the first active one
    (None when there is none: the money is held unassigned, in held:bank or held:qris)."""
    if account_id is None:
        first = next(iter(active_accounts()), None)
        return first.id if first is not None else None
    if not isinstance(account_id, int) or not 0 < account_id < 2**31 or \
            db.session.get(ReceivingAccount, account_id) is None:
        raise InvalidInput(_("Rekening tidak ditemukan."), field="account")
    return account_id
