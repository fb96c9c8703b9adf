"""Forms that parse a producer's listing input; the rules themselves live in service.validate_details."""

from flask_babel import get_locale, lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import Form
from ..text import parse_whole_number  # noqa: F401  (one parsing rule, in text.py; imported here by tests)
from . import service

class WholeNumberField(StringField):
    """A whole number typed the Indonesian way: '1.000' is one thousand, a comma is refused."""

    currency = False
    message = _l("Tulis angka bulat tanpa koma, misalnya 25 atau 1.000.")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        """Parse the typed text; empty means no value."""
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_whole_number(valuelist[0], currency=self.currency)
            except ValueError:
                raise ValueError(self.message) from None

    def _value(self):
        # Show what was typed after a refusal, so nothing typed is lost.
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:,}".replace(",", ".") if isinstance(self.data, int) else ""


class RupiahField(WholeNumberField):
    """Whole rupiah: '15000', '15.000', 'Rp 15.000', 'Rp15.000,-'; '15,5' is refused."""

    currency = True
    message = _l("Tulis harga dalam rupiah utuh tanpa koma atau sen, misalnya 15.000.")


def _optional_int(value):
    return int(value) if str(value).strip() else None


def category_choices():
    """The seeded tree as <select> options: each top category with its children in one group."""
    locale = get_locale()
    choices = [SelectChoice("", _l("— pilih kategori —"))]
    for top, children in service.categories_tree():
        group = top.display_name(locale) if children else None
        choices.append(SelectChoice(top.id, top.display_name(locale), optgroup=group))
        choices += [SelectChoice(child.id, child.display_name(locale), optgroup=group) for child in children]
    return choices


class ProductForm(Form):
    """A listing's fields plus any new photos, sent together so a refused photo loses nothing typed."""

    title = StringField(_l("Nama produk"), validators=[InputRequired()])
    description = TextAreaField(_l("Deskripsi"), validators=[Optional()])
    category_id = SelectField(_l("Kategori"), coerce=_optional_int,
                              validators=[InputRequired(message=_l("Pilih kategori."))],
                              invalid_value_message=_l("Pilih kategori."),
                              invalid_choice_message=_l("Pilih kategori."))
    price_idr = RupiahField(_l("Harga (Rp)"), validators=[InputRequired()])
    stock = WholeNumberField(_l("Stok"), validators=[InputRequired()])
    stock_seen = HiddenField()
    unit = StringField(_l("Satuan/ukuran"), validators=[Optional()])
    weight_g = WholeNumberField(_l("Berat kirim (gram)"), validators=[Optional()])
    pirt_number = StringField(_l("Nomor P-IRT"), validators=[Optional()])
    bpom_number = StringField(_l("Nomor BPOM (MD/ML)"), validators=[Optional()])
    halal_number = StringField(_l("Nomor sertifikat halal"), validators=[Optional()])
    halal_expires_on = DateField(_l("Sertifikat halal berlaku sampai"), validators=[Optional()])
    photo = MultipleFileField(_l("Tambah foto"), render_kw={"accept": "image/*", "data-shrink": "2048"})
    photo_alt = StringField(_l("Keterangan foto baru"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices()

    def details(self):
        """The typed listing as service.ProductDetails."""
        return service.ProductDetails(
            title=self.title.data or "", description=self.description.data or "",
            category_id=self.category_id.data, price_idr=self.price_idr.data, stock=self.stock.data,
            unit=self.unit.data or "", weight_g=self.weight_g.data or 0,
            pirt_number=self.pirt_number.data or "", bpom_number=self.bpom_number.data or "",
            halal_number=self.halal_number.data or "", halal_expires_on=self.halal_expires_on.data)

    def seen(self):
        """The stock the page showed when the producer opened it, or None (a new listing)."""
        return seen_stock(self.stock_seen.data)

    def uploads(self):
        """The photo files chosen (a file input left empty still sends one nameless part)."""
        return [upload for upload in self.photo.data or [] if upload and upload.filename]


class StockForm(Form):
    """The dashboard's quick restock."""

    stock = WholeNumberField(_l("Stok"), validators=[InputRequired()])
    stock_seen = HiddenField()

    def seen(self):
        """The stock the page showed, or None."""
        return seen_stock(self.stock_seen.data)


class PhotoAltForm(Form):
    """What a photo shows, for buyers who cannot see it."""

    alt_text = StringField(_l("Keterangan foto"), validators=[Optional(), Length(max=200)])


def seen_stock(raw):
    """The hidden stock_seen value as a whole number; anything else counts as not seen."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 6 else None
