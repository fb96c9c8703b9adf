"""Forms of switching method and of refunds by transfer; payments.switch and payments.refunds check the values."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField

from ..forms import Form


class SwitchForm(Form):
    """The buyer's new way to pay (read from the radio buttons named `method`)."""


class RefundMadeForm(Form):
    """The transfer an admin made back to a buyer: the bank's reference and the day."""

    bank_reference = StringField(_l("Referensi bank"))
    transferred_on = DateField(_l("Tanggal transfer"), format="%Y-%m-%d")
