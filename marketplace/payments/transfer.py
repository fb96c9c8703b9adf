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
from ..models_base import utcnow
from .models import MAX_UNIQUE_CODE, TRANSFER_METHODS, Payment, PaymentMethodSetting, ReceivingAccount
from .settle import open_attempt, settle, start_attempt

CODE_TRIES = 40
ACCOUNT_NUMBER = re.compile(r"[0-9][0-9 ]*")
# Offered at checkout unless an admin switched them; the others wait for an admin to set them up.
ENABLED_BY_DEFAULT = ("stripe",)


def method_enabled(method):
    """True when the platform offers this method (bank transfer also needs an active receiving account)."""
    setting = db.session.get(PaymentMethodSetting, method)
    enabled = setting.enabled if setting is not None else method in ENABLED_BY_DEFAULT
    if enabled and method == "bank_transfer":
        return bool(active_accounts())
    return enabled


def set_method_enabled(method, enabled):
    """An admin's switch for one method."""
    setting = db.session.get(PaymentMethodSetting, method) or PaymentMethodSetting(method=method)
    setting.enabled = bool(enabled)
    db.session.add(setting)
    db.session.flush()
    return setting


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
        payment = start_attempt(order, method, deadline, unique_code_idr=_candidate_code(order.total_idr), now=now)
        if payment is not None:
            order.expires_at = deadline
            db.session.flush()
            return payment
    raise InvalidState(_("Semua kode unik untuk jumlah ini sedang dipakai; coba lagi sebentar lagi."))


def _candidate_code(total_idr):
    """A code no open transfer of this total uses now (a concurrent checkout may still take it first)."""
    taken = {amount - total_idr for amount in db.session.scalars(select(Payment.amount_idr).where(
        Payment.state == "pending", Payment.method.in_(TRANSFER_METHODS),
        Payment.amount_idr.between(total_idr + 1, total_idr + MAX_UNIQUE_CODE)))}
    free = [code for code in range(1, MAX_UNIQUE_CODE + 1) if code not in taken]
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


def confirm_received(payment_id, bank_reference, now=None):
    """An admin saw the exact amount arrive: settle the attempt with the bank's reference; returns the outcome."""
    reference = " ".join(str(bank_reference or "").split())
    if not 3 <= len(reference) <= 100:
        raise InvalidInput(_("Tuliskan referensi bank (3 sampai 100 huruf)."), field="bank_reference")
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.method not in TRANSFER_METHODS:
        raise InvalidInput(_("Pembayaran tidak ditemukan."))
    if payment.state != "pending":
        raise InvalidState(_("Pembayaran ini sudah ditutup."))
    payment.bank_reference = reference
    return settle(payment, payment.amount_idr, f"admin: {reference}", now=now)
