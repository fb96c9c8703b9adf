"""Bank statements (mutasi rekening): parse a CSV, record each incoming credit once, and match it by its exact
amount to the open transfer that asked it.

The generic layout is a CSV with a header row naming these columns (any order, other columns ignored):

    tanggal     the booking date, YYYY-MM-DD or DD/MM/YYYY
    keterangan  the description
    jumlah      the amount: 1.234.567,00 or 1,234,567.00 or 1234567 (whole rupiah; non-zero sen are refused)
    jenis       CR for a credit (money in), DB for a debit (ignored)

A file that does not parse is refused whole, with the line number and the reason. Each line is fingerprinted
(account, date, description, amount, and how many identical lines came before it in the file), and the
fingerprint is unique in the database: importing the same file twice, overlapping files, or the same file
twice at once records and settles each line once.
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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput
from ..extensions import db
from ..models_base import utcnow
from .models import CLOSED_STATES, TRANSFER_METHODS, Payment, ReceivingAccount, StatementLine
from .settle import owe_back_closed, settle

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20000
COLUMNS = {"date": "tanggal", "description": "keterangan", "amount": "jumlah", "kind": "jenis"}
CREDIT, DEBIT = "CR", "DB"
_DOT_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})*(,\d{1,2})?")
_COMMA_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})*(\.\d{1,2})?")
_PLAIN = re.compile(r"\d{1,15}")


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


def parse_amount(text):
    """Whole rupiah from '1.234.567,00', '1,234,567.00' or '1234567'; None when it is none of these."""
    text = text.strip()
    if _PLAIN.fullmatch(text):
        return int(text)
    for pattern, thousands, decimal in ((_DOT_THOUSANDS, ".", ","), (_COMMA_THOUSANDS, ",", ".")):
        if pattern.fullmatch(text):
            whole, _sep, cents = text.partition(decimal)
            if cents.strip("0"):
                return None  # rupiah have no sen: a fraction is not an amount we asked
            return int(whole.replace(thousands, ""))
    return None


def _parse_date(text):
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), layout).date()
        except ValueError:
            continue
    return None


def _inert(text):
    """The description as plain text that no spreadsheet will run as a formula."""
    text = " ".join(text.split())[:300]
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def parse(raw, today):
    """The credits of a statement file (bytes); InvalidInput naming the line and the reason when it does not parse."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput(_("Berkas lebih dari 5 MB."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("Berkas bukan teks UTF-8; simpan ulang sebagai CSV UTF-8.")) from None
    if "\x00" in text:
        raise InvalidInput(_("Berkas bukan teks CSV."))
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(rows, [])]
    missing = [name for name in COLUMNS.values() if name not in header]
    if missing:
        raise InvalidInput(_("Baris 1: kolom %(names)s tidak ada.", names=", ".join(missing)))
    where = {key: header.index(name) for key, name in COLUMNS.items()}
    credits, seen = [], {}
    for number, row in enumerate(rows, start=2):
        if number > MAX_LINES:
            raise InvalidInput(_("Berkas lebih dari %(count)s baris.", count=MAX_LINES))
        if not any(cell.strip() for cell in row):
            continue
        credit = _parse_row(row, where, number, today)
        if credit is not None:
            key = (credit.booked_on, credit.description, credit.amount_idr)
            seen[key] = seen.get(key, 0) + 1
            credit.fingerprint = f"{seen[key]}"
            credits.append(credit)
    return credits


def _parse_row(row, where, number, today):
    """One row as a Credit, None for a debit; InvalidInput with the line number otherwise."""
    if len(row) <= max(where.values()):
        raise InvalidInput(_("Baris %(line)s: kolomnya kurang.", line=number))
    kind = row[where["kind"]].strip().upper()
    if kind not in (CREDIT, DEBIT):
        raise InvalidInput(_("Baris %(line)s: jenis harus CR atau DB.", line=number))
    booked_on = _parse_date(row[where["date"]])
    if booked_on is None:
        raise InvalidInput(_("Baris %(line)s: tanggal tidak dikenali.", line=number))
    if booked_on > today:
        raise InvalidInput(_("Baris %(line)s: tanggal di masa depan.", line=number))
    amount = parse_amount(row[where["amount"]])
    if amount is None or amount <= 0:
        raise InvalidInput(_("Baris %(line)s: jumlah tidak dikenali atau bukan lebih dari nol.", line=number))
    if kind == DEBIT:
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
    for credit in parse(raw, today):
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
