"""Bank statements (mutasi rekening): parse a CSV, record each incoming credit once, and match it by its exact
amount to the open transfer that asked it.

The generic layout is a CSV with a header row naming these columns (any order, other columns ignored):

    tanggal     the booking date, YYYY-MM-DD or DD/MM/YYYY
    keterangan  the description
    jumlah      the amount: 1.234.567,00 or 1,234,567.00 or 1234567 (whole rupiah; non-zero sen are refused)
    jenis       CR for a credit (money in), DB for a debit (ignored)

A bank whose export looks different gets a layout of its own, set by an admin per receiving account
(StatementLayout): which rows to skip before the first line, which column (counted from 1) holds the date, the
description, the amount and the credit/debit marker (the marker may sit after the amount in the same cell, as
in "150,237.00 CR"), the words that mark a credit and a debit, and the number style.

A file that does not parse is refused whole, with the line number and the reason. Each line is fingerprinted
(account, date, description, amount, and how many identical lines came before it in the file), and the
fingerprint is unique in the database: importing the same file twice, overlapping files, or the same file
twice at once records and settles each line once. A line left unmatched can be matched to an open payment by
an admin (match_line), once: the line is claimed before the payment is settled.
"""
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..models_base import utcnow
from ..orders.models import Order
from ..orders.queries import plausible_code
from .models import CLOSED_STATES, TRANSFER_METHODS, Payment, ReceivingAccount, StatementLine
from .settle import open_attempt, owe_back_closed, settle
from .statement_layout import StatementLayout

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20000
COLUMNS = {"date": "tanggal", "description": "keterangan", "amount": "jumlah", "kind": "jenis"}
CREDIT, DEBIT = "CR", "DB"
_DOT_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})*(,\d{1,2})?")
_COMMA_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})*(\.\d{1,2})?")
_PLAIN = re.compile(r"\d{1,15}")
NUMBER_STYLES = {"auto": None, "dots": ".", "commas": ","}  # the thousands separator each style allows
DATE_LAYOUTS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y")


@dataclass(frozen=True)
class _Rules:
    """What a row means: where each field is (0-based), the markers, and the number style."""

    where: dict
    credit: str = CREDIT
    debit: str = DEBIT
    style: str = "auto"


@dataclass
class Credit:
    """One incoming line of a statement, parsed."""

    booked_on: date
    description: str
    amount_idr: int
    fingerprint: str = ""


@dataclass
class ImportResult:
    """What an import did: lines settled, found owed back, left unmatched, and already imported before."""

    settled: int = 0
    refund_owed: int = 0
    unmatched: int = 0
    already_imported: int = 0


def parse_amount(text, style="auto"):
    """Whole rupiah from '1.234.567,00', '1,234,567.00' or '1234567' (a style allows only its own separators);
    None when it is none of these."""
    text = text.strip()
    if _PLAIN.fullmatch(text):
        return int(text)
    for pattern, thousands, decimal in ((_DOT_THOUSANDS, ".", ","), (_COMMA_THOUSANDS, ",", ".")):
        if NUMBER_STYLES[style] not in (None, thousands):
            continue
        if pattern.fullmatch(text):
            whole, _sep, cents = text.partition(decimal)
            if cents.strip("0"):
                return None  # rupiah have no sen: a fraction is not an amount we asked
            return int(whole.replace(thousands, ""))
    return None


def _parse_date(text):
    for layout in DATE_LAYOUTS:
        try:
            return datetime.strptime(text.strip(), layout).date()
        except ValueError:
            continue
    return None


def _inert(text):
    """The description as plain text that no spreadsheet will run as a formula."""
    text = " ".join(text.split())[:300]
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def parse(raw, today, layout=None):
    """The credits of a statement file (bytes), in the generic layout or the account's own; InvalidInput naming
    the line and the reason when it does not parse."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput(_("Berkas lebih dari 5 MB."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("Berkas bukan teks UTF-8; simpan ulang sebagai CSV UTF-8.")) from None
    if "\x00" in text:
        raise InvalidInput(_("Berkas bukan teks CSV."))
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        rules, first = _generic_rules(rows) if layout is None else _layout_rules(rows, layout)
        credits = _credits(rows, rules, first, today)
    except csv.Error:
        raise InvalidInput(_("Berkas bukan CSV yang utuh.")) from None
    return credits


def _generic_rules(rows):
    header = [name.strip().lower() for name in next(rows, [])]
    missing = [name for name in COLUMNS.values() if name not in header]
    if missing:
        raise InvalidInput(_("Baris 1: kolom %(names)s tidak ada.", names=", ".join(missing)))
    return _Rules({key: header.index(name) for key, name in COLUMNS.items()}), 2


def _layout_rules(rows, layout):
    for _row in range(layout.skip_rows):
        next(rows, None)
    where = {"date": layout.date_column - 1, "description": layout.description_column - 1,
             "amount": layout.amount_column - 1, "kind": layout.marker_column - 1}
    return _Rules(where, layout.credit_marker.upper(), layout.debit_marker.upper(), layout.number_style), \
        layout.skip_rows + 1


def _credits(rows, rules, first, today):
    credits, seen = [], {}
    for number, row in enumerate(rows, start=first):
        if number > MAX_LINES:
            raise InvalidInput(_("Berkas lebih dari %(count)s baris.", count=MAX_LINES))
        if not any(cell.strip() for cell in row):
            continue
        credit = _parse_row(row, rules, number, today)
        if credit is not None:
            key = (credit.booked_on, credit.description, credit.amount_idr)
            seen[key] = seen.get(key, 0) + 1
            credit.fingerprint = f"{seen[key]}"
            credits.append(credit)
    return credits


def _parse_row(row, rules, number, today):
    """One row as a Credit, None for a debit; InvalidInput with the line number otherwise."""
    where = rules.where
    if len(row) <= max(where.values()):
        raise InvalidInput(_("Baris %(line)s: kolomnya kurang.", line=number))
    amount_text, kind = row[where["amount"]], row[where["kind"]].strip().upper()
    if where["kind"] == where["amount"]:  # "150,237.00 CR": the marker follows the amount in one cell
        amount_text, _space, kind = amount_text.strip().rpartition(" ")
        kind = kind.upper()
    if kind not in (rules.credit, rules.debit):
        raise InvalidInput(_("Baris %(line)s: jenis harus %(credit)s atau %(debit)s.", line=number,
                             credit=rules.credit, debit=rules.debit))
    booked_on = _parse_date(row[where["date"]])
    if booked_on is None:
        raise InvalidInput(_("Baris %(line)s: tanggal tidak dikenali.", line=number))
    if booked_on > today:
        raise InvalidInput(_("Baris %(line)s: tanggal di masa depan.", line=number))
    amount = parse_amount(amount_text, rules.style)
    if amount is None or amount <= 0:
        raise InvalidInput(_("Baris %(line)s: jumlah tidak dikenali atau bukan lebih dari nol.", line=number))
    if kind == rules.debit:
        return None
    return Credit(booked_on, _inert(row[where["description"]]), amount)


def _fingerprint(account_id, credit):
    """The line's identity across files: the same transaction in two statements has the same fingerprint."""
    text = "|".join((str(account_id), credit.booked_on.isoformat(), credit.description, str(credit.amount_idr),
                     credit.fingerprint))
    return hashlib.sha256(text.encode()).hexdigest()


def import_statement(account_id, raw, now=None):
    """Record a statement's credits once each and match them; the caller commits."""
    now = now or utcnow()
    if db.session.get(ReceivingAccount, account_id) is None:
        raise InvalidInput(_("Rekening tidak ditemukan."))
    result = ImportResult()
    # A bank books in local time: at 07:00 WITA the statement already says a date that is tomorrow in UTC.
    today = now.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()
    for credit in parse(raw, today, db.session.get(StatementLayout, account_id)):
        line = _record(account_id, credit, now)
        if line is None:
            result.already_imported += 1
            continue
        outcome = _match(line)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _record(account_id, credit, now):
    """Insert the line first; a line already imported (even by a concurrent import) is None and does nothing."""
    line = StatementLine(account_id=account_id, fingerprint=_fingerprint(account_id, credit),
                         booked_on=credit.booked_on, description=credit.description, amount_idr=credit.amount_idr,
                         outcome="unmatched", imported_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(line)
    except IntegrityError:
        return None
    return line


def _match(line):
    """Settle the open transfer asking exactly this amount; a closed one asking it is owed back; else unmatched."""
    transfers = select(Payment).where(Payment.amount_idr == line.amount_idr, Payment.method.in_(TRANSFER_METHODS))
    payment = db.session.scalar(transfers.where(Payment.state == "pending"))
    if payment is not None:
        outcome = settle(payment, line.amount_idr, f"mutasi {line.booked_on.isoformat()}")
        line.payment_id, line.outcome = payment.id, "settled" if outcome == "paid" else "refund_owed"
        return line.outcome if line.outcome == "refund_owed" else "settled"
    closed = db.session.scalar(transfers.where(Payment.state.in_(CLOSED_STATES)).order_by(Payment.id.desc()).limit(1))
    if closed is not None and owe_back_closed(closed, line.amount_idr):
        line.payment_id, line.outcome = closed.id, "refund_owed"
        return "refund_owed"
    return "unmatched"


def match_line(line_id, order_code, admin, now=None):
    """An admin names the order whose open transfer or QRIS payment an unmatched line paid: the line is claimed
    first (a line acts once, however many admins click at once), then the payment settles through settle() with
    the line's amount, so a wrong amount is owed back like any other. Returns settle()'s outcome; InvalidState
    when the line or the payment was taken meanwhile."""
    now = now or utcnow()
    line = db.session.get(StatementLine, line_id)
    if line is None or line.outcome != "unmatched":
        raise InvalidState(_("Mutasi ini sudah dicocokkan atau tidak ada."))
    code = str(order_code or "").strip()
    order = db.session.scalar(select(Order).where(Order.code == code)) if plausible_code(code) else None
    payment = open_attempt(order) if order is not None else None
    if payment is None or payment.method not in TRANSFER_METHODS:
        raise InvalidInput(_("Tidak ada transfer atau QRIS terbuka untuk pesanan itu."), field="order_code")
    claimed = db.session.execute(
        update(StatementLine).where(StatementLine.id == line_id, StatementLine.outcome == "unmatched")
        .values(outcome="settled", payment_id=payment.id, matched_by_id=admin.id, matched_at=now),
        execution_options={"synchronize_session": False}).rowcount == 1
    if not claimed:
        raise InvalidState(_("Mutasi ini sudah dicocokkan atau tidak ada."))
    db.session.refresh(line)
    outcome = settle(payment, line.amount_idr, f"mutasi {line.booked_on.isoformat()} (admin)", now=now)
    if outcome == "already_handled":  # paid by another line meanwhile: the caller rolls this claim back
        raise InvalidState(_("Pembayaran ini sudah ditutup."))
    if outcome != "paid":
        line.outcome = "refund_owed"
        db.session.flush()
    return outcome


def unmatched_lines(limit=200):
    """Lines waiting for an admin, newest first."""
    return db.session.scalars(select(StatementLine).where(StatementLine.outcome == "unmatched")
                              .order_by(StatementLine.booked_on.desc(), StatementLine.id.desc()).limit(limit)).all()
