"""Forms of the payments admin page; payments.transfer checks the values."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from ..forms import Form


class ActionForm(Form):
    """A button with nothing but its CSRF token."""


class AccountForm(Form):
    """A receiving account: bank, number, holder."""

    bank = StringField(_l("Bank"))
    account_number = StringField(_l("Nomor rekening"))
    holder_name = StringField(_l("Atas nama"))


class ReceivedForm(Form):
    """The bank's reference of a transfer an admin saw arrive."""

    bank_reference = StringField(_l("Referensi bank"))


class StatementForm(Form):
    """A statement CSV for one receiving account."""

    account = SelectField(_l("Rekening"), coerce=int, validate_choice=False)
    statement = FileField(_l("Mutasi rekening (CSV)"))


class QrisForm(Form):
    """The platform's static QRIS payload, pasted as text."""

    payload = TextAreaField(_l("Teks QRIS statis"))


class ProofForm(Form):
    """A photo or PDF of the transfer receipt."""

    proof = FileField(_l("Bukti transfer (foto atau PDF)"))


class RejectForm(Form):
    """Why an admin refuses a buyer's receipt."""

    reason = StringField(_l("Alasan penolakan"))


class MatchForm(Form):
    """The order an unmatched statement line paid, named by an admin."""

    order_code = StringField(_l("Kode pesanan"))


class LayoutForm(Form):
    """A bank's own statement layout for one receiving account (numbers checked by payments.statement_layout)."""

    skip_rows = StringField(_l("Baris dilewati di awal"))
    date_column = StringField(_l("Kolom tanggal"))
    description_column = StringField(_l("Kolom keterangan"))
    amount_column = StringField(_l("Kolom jumlah"))
    marker_column = StringField(_l("Kolom penanda kredit/debit"))
    credit_marker = StringField(_l("Penanda kredit"))
    debit_marker = StringField(_l("Penanda debit"))
    number_style = SelectField(_l("Gaya angka"), choices=[SelectChoice("auto", "1.234.567,00 / 1,234,567.00"),
                                                          SelectChoice("dots", "1.234.567,00"),
                                                          SelectChoice("commas", "1,234,567.00")],
                               validate_choice=False)
