"""Forms of the producer's order page: one per action, all CSRF-protected; the rules live in orders.service."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from ..forms import Form
from ..orders.messaging import courier_name
from ..orders.models import COURIERS


class ActionForm(Form):
    """A button with nothing but its CSRF token: accept, ready for pickup, handed over."""


class ShipForm(Form):
    """Courier and tracking number ('resi'); orders.service.ship_shop_order checks both."""

    # validate_choice is off so that an unknown courier gets the service's one message, like every other refusal.
    courier = SelectField(_l("Kurir"), validate_choice=False)
    # Only for courier "other" (required then): the courier's own name, which the buyer reads.
    courier_other = StringField(_l("Nama ekspedisi"), render_kw={"maxlength": 40, "autocomplete": "off"})
    tracking_number = StringField(_l("Nomor resi"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.courier.choices = [SelectChoice("", _l("Pilih kurir"))] + [
            SelectChoice(code, courier_name(code)) for code in COURIERS]


class CancelForm(Form):
    """Why the producer cancels; the buyer reads it."""

    reason = TextAreaField(_l("Alasan pembatalan (dibaca pembeli)"))
