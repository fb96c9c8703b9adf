"""Forms of the payments admin page; payments.transfer checks the values."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField

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
