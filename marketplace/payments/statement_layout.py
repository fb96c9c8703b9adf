"""A receiving account's own statement layout, for banks whose CSV export is not the generic one: which rows to
skip, which column (counted from 1) holds each field, the credit and debit markers, and the number style.
payments.statement reads files with it."""
import re

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..errors import InvalidInput
from ..extensions import db
from .models import ReceivingAccount

NUMBER_STYLES = ("auto", "dots", "commas")
MAX_COLUMN = 50
MAX_SKIP_ROWS = 20
_MARKER = re.compile(r"[A-Za-z]{1,10}")


class StatementLayout(db.Model):
    """How one receiving account's bank lays out its CSV export, when it is not the generic layout."""

    __tablename__ = "statement_layout"
    __table_args__ = (CheckConstraint("number_style IN ('auto', 'dots', 'commas')", name="number_style_known"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("receiving_account.id"), primary_key=True)
    skip_rows: Mapped[int] = mapped_column(Integer, default=1)
    date_column: Mapped[int] = mapped_column(Integer)
    description_column: Mapped[int] = mapped_column(Integer)
    amount_column: Mapped[int] = mapped_column(Integer)
    marker_column: Mapped[int] = mapped_column(Integer)
    credit_marker: Mapped[str] = mapped_column(String(10), default="CR")
    debit_marker: Mapped[str] = mapped_column(String(10), default="DB")
    number_style: Mapped[str] = mapped_column(String(10), default="auto")


def set_layout(account_id, skip_rows, date_column, description_column, amount_column, marker_column,
               credit_marker, debit_marker, number_style):
    """Give an account its bank's own layout (InvalidInput naming the field that is wrong)."""
    if db.session.get(ReceivingAccount, account_id) is None:
        raise InvalidInput(_("Rekening tidak ditemukan."))
    columns = {"date_column": date_column, "description_column": description_column,
               "amount_column": amount_column, "marker_column": marker_column}
    for name, value in columns.items():
        if not _whole(value, 1, MAX_COLUMN):
            raise InvalidInput(_("Nomor kolom 1 sampai %(most)s.", most=MAX_COLUMN), field=name)
    if len({date_column, description_column, amount_column}) < 3 or marker_column in (date_column,
                                                                                      description_column):
        raise InvalidInput(_("Tanggal, keterangan dan jumlah perlu kolom sendiri-sendiri (penanda boleh di kolom "
                             "jumlah)."), field="marker_column")
    if not _whole(skip_rows, 0, MAX_SKIP_ROWS):
        raise InvalidInput(_("Baris dilewati 0 sampai %(most)s.", most=MAX_SKIP_ROWS), field="skip_rows")
    credit, debit = str(credit_marker or "").strip().upper(), str(debit_marker or "").strip().upper()
    for name, marker in (("credit_marker", credit), ("debit_marker", debit)):
        if not _MARKER.fullmatch(marker):
            raise InvalidInput(_("Penanda 1 sampai 10 huruf, misalnya CR atau DB."), field=name)
    if credit == debit:
        raise InvalidInput(_("Penanda kredit dan debit harus berbeda."), field="debit_marker")
    if number_style not in NUMBER_STYLES:
        raise InvalidInput(_("Pilih gaya angka dari daftar."), field="number_style")
    layout = db.session.get(StatementLayout, account_id) or StatementLayout(account_id=account_id)
    layout.skip_rows, layout.credit_marker, layout.debit_marker, layout.number_style = \
        skip_rows, credit, debit, number_style
    for name, value in columns.items():
        setattr(layout, name, value)
    db.session.add(layout)
    db.session.flush()
    return layout


def clear_layout(account_id):
    """The account's statements go back to the generic layout."""
    layout = db.session.get(StatementLayout, account_id)
    if layout is not None:
        db.session.delete(layout)
        db.session.flush()


def _whole(value, lowest, highest):
    return isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= highest
