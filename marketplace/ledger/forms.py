"""Forms of the balance and payout pages; the rules live in ledger.payouts."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from ..forms import Form
from .banks import choices


class BankAccountForm(Form):
    """A producer's bank account for payouts."""

    bank_code = SelectField(_l("Bank"), validate_choice=False)
    account_number = StringField(_l("Nomor rekening"))
    holder_name = StringField(_l("Nama pemilik rekening"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_code.choices = [SelectChoice("", _l("Pilih bank"))] + [SelectChoice(code, name)
                                                                          for code, name in choices()]


class ActionForm(Form):
    """A button with nothing but its CSRF token."""


class RejectForm(Form):
    """Why an admin refuses a bank account; the producer reads it."""

    note = TextAreaField(_l("Alasan penolakan (dibaca produsen)"))


class BatchForm(Form):
    """Which receiving account a new batch of payouts leaves from."""

    source = SelectField(_l("Dibayar dari"), validate_choice=False)


class PaidForm(Form):
    """The bank's reference of a transfer made."""

    bank_reference = StringField(_l("Nomor referensi bank"))


class FailedForm(Form):
    """Why a transfer failed."""

    reason = StringField(_l("Alasan gagal"))
