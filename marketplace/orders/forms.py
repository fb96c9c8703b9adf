"""The checkout form: the delivery address, with region selects that cascade (by a reload without JavaScript)."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from .. import regions
from ..forms import Form
from .address import Address

REGION_FIELDS = ("province_code", "regency_code", "district_code", "village_code")


class CheckoutForm(Form):
    """Recipient, phone, street, region, postal code and a note; the rules live in orders.address."""

    recipient_name = StringField(_l("Nama penerima"), [Length(max=120)])
    phone = StringField(_l("Nomor HP penerima"), [Length(max=40)])
    street = TextAreaField(_l("Alamat: jalan, nomor rumah, RT/RW"), [Length(max=300)])
    province_code = SelectField(_l("Provinsi"), validate_choice=False, render_kw={"data-region-next": "regency_code"})
    regency_code = SelectField(_l("Kabupaten/kota"), validate_choice=False,
                               render_kw={"data-region-next": "district_code"})
    district_code = SelectField(_l("Kecamatan"), validate_choice=False, render_kw={"data-region-next": "village_code"})
    village_code = SelectField(_l("Desa/kelurahan"), validate_choice=False)
    postal_code = StringField(_l("Kode pos"), [Length(max=10)])
    note = TextAreaField(_l("Catatan untuk penjual (tidak wajib)"), [Length(max=500)])

    def fill_region_choices(self):
        """Each select lists the regions below the one chosen above it; a stale choice below is dropped."""
        parent = ""
        for name in REGION_FIELDS:
            field = self[name]
            options = regions.children(parent) if parent is not None else []
            field.choices = [SelectChoice("", _l("Pilih"))] + [SelectChoice(code, label) for code, label in options]
            codes = {code for code, _label in options}
            if field.data not in codes:
                field.data = ""
            parent = field.data or None

    def address(self):
        """The typed address, for the service to check."""
        return Address(**{name: (self[name].data or "") for name in Address.__dataclass_fields__})
