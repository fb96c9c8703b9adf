"""Forms that parse a producer's shop profile; the rules themselves live in service._validated."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import InputRequired, Optional

from .. import regions
from ..catalogue.forms import RupiahField
from ..forms import Form
from .service import ShopDetails


def district_choices():
    """The districts of Kutai Kartanegara, after an empty prompt."""
    return [SelectChoice("", _l("— pilih kecamatan —"))] + [
        SelectChoice(code, name) for code, name in regions.home_districts()]


def village_choices(district_code):
    """The villages of one home district (none for anything else), after an empty prompt."""
    villages = regions.children(district_code) if district_code in dict(regions.home_districts()) else []
    return [SelectChoice("", _l("— pilih desa —"))] + [SelectChoice(code, name) for code, name in villages]


class ShopForm(Form):
    """Open or edit a shop. The village list follows the district chosen (reloaded with a button)."""

    name = StringField(_l("Nama toko"), validators=[InputRequired()])
    # The shop's web address, not its street: "Alamat toko" alone read as the street address.
    slug = StringField(_l("Alamat web toko (tautan)"), validators=[Optional()],
                       render_kw={"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"})
    story = TextAreaField(_l("Cerita toko"), validators=[Optional()])
    district_code = SelectField(_l("Kecamatan"), validators=[InputRequired(message=_l("Pilih kecamatan."))],
                                invalid_choice_message=_l("Pilih kecamatan di Kutai Kartanegara."),
                                render_kw={"data-region-next": "village_code"})
    village_code = SelectField(_l("Desa/kelurahan"), validators=[InputRequired(message=_l("Pilih desa."))],
                               invalid_choice_message=_l("Pilih desa di kecamatan yang dipilih."))
    whatsapp = TelField(_l("Nomor WhatsApp"), validators=[InputRequired()],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    shipping_fee_idr = RupiahField(_l("Ongkos kirim (Rp)"), validators=[InputRequired()])
    pickup_allowed = BooleanField(_l("Pembeli boleh mengambil sendiri"))
    cash_on_pickup = BooleanField(_l("Terima bayar tunai saat pesanan diambil"))
    logo = FileField(_l("Logo toko"), render_kw={"accept": "image/*", "data-shrink": "2048"})
    # The logo of a refused submission, already processed and kept as a finished upload (media.uploads).
    logo_token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.district_code.choices = district_choices()
        self.village_code.choices = village_choices(self.district_code.data)

    def details(self):
        """The typed profile as service.ShopDetails."""
        return ShopDetails(name=self.name.data or "", slug=self.slug.data or "", story=self.story.data or "",
                           district_code=self.district_code.data or "", village_code=self.village_code.data or "",
                           whatsapp=self.whatsapp.data or "", shipping_fee_idr=self.shipping_fee_idr.data,
                           pickup_allowed=bool(self.pickup_allowed.data),
                           cash_on_pickup=bool(self.cash_on_pickup.data))

    def logo_upload(self):
        """The logo file chosen, or None when the input was left empty."""
        upload = self.logo.data
        return upload if upload and getattr(upload, "filename", "") else None
