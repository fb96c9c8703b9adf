"""Forms that parse and validate moderation input; the rules themselves live in service.py."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SelectChoice, \
    SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import Form
from .queries import ACTIONS
from .service import MAX_REASON, MAX_REPORT_TEXT, REJECTION_REASONS, REPORT_REASON_LABELS

MAX_ID = 2**31 - 1
ACTION_LABELS = {
    "approve": _l("Disetujui"),
    "reject": _l("Ditolak"),
    "confirm_change": _l("Perubahan dikonfirmasi"),
    "reject_change": _l("Perubahan ditolak"),
    "unpublish": _l("Diturunkan"),
    "suspend_shop": _l("Toko dibekukan"),
    "reinstate_shop": _l("Toko dipulihkan"),
    "trust_shop": _l("Ditandai tepercaya"),
    "untrust_shop": _l("Tanda tepercaya dicabut"),
    "dismiss_reports": _l("Laporan diabaikan"),
    "review_hidden": _l("Ulasan disembunyikan"),
}

REGULATION_LABELS = {
    "pirt_number": _l("Nomor P-IRT"),
    "bpom_number": _l("Nomor BPOM"),
    "halal_number": _l("Sertifikat halal"),
    "halal_expires_on": _l("Halal berlaku sampai"),
}
RESOLUTION_LABELS = {
    "dismissed": _l("Diabaikan"),
    "unpublished": _l("Produk diturunkan"),
    "suspended": _l("Toko dibekukan"),
}


def _reason_choices():
    return [SelectChoice(code, label) for code, label in REJECTION_REASONS.items()]


class ReasonForm(Form):
    """Why a listing goes back to its producer (rejecting or unpublishing): a reason from the list plus a note."""

    reason = SelectField(_l("Alasan"), choices=_reason_choices(), validators=[InputRequired()])
    note = TextAreaField(_l("Keterangan untuk produsen"), validators=[Optional(), Length(max=MAX_REASON)])


class BulkApproveForm(Form):
    """The listings ticked in the queue."""

    product_ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[InputRequired(
        message=_l("Pilih minimal satu produk."))])

    def validate_product_ids(self, field):
        """Ids are positive database integers; anything else is refused before the database sees it."""
        if any(not 0 < value <= MAX_ID for value in field.data or []):
            raise ValidationError(_l("Pilihan produk tidak valid."))


class SuspendForm(Form):
    """Why a shop is suspended (its producer reads it on the dashboard)."""

    reason = TextAreaField(_l("Alasan pembekuan"), validators=[InputRequired(), Length(max=MAX_REASON)])


class ReinstateForm(Form):
    """An optional note when a shop comes back."""

    note = TextAreaField(_l("Catatan (tidak wajib)"), validators=[Optional(), Length(max=MAX_REASON)])


class ResolveReportsForm(Form):
    """How the open reports about a listing or shop are settled."""

    action = HiddenField(validators=[InputRequired()])
    reason = SelectField(_l("Alasan"), choices=_reason_choices(), validators=[Optional()])
    note = TextAreaField(_l("Keterangan"), validators=[Optional(), Length(max=MAX_REASON)])


class ReportForm(Form):
    """A visitor's report about a listing or shop."""

    reason = RadioField(_l("Apa masalahnya?"),
                        choices=[SelectChoice(code, label) for code, label in REPORT_REASON_LABELS.items()],
                        validators=[InputRequired(message=_l("Pilih salah satu alasan."))])
    text = TextAreaField(_l("Keterangan (tidak wajib)"), validators=[Optional(), Length(max=MAX_REPORT_TEXT)])


class AuditFilterForm(Form):
    """The audit log's filters, read from the query string (GET: nothing to protect with CSRF)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Tindakan"), validators=[Optional()], choices=[SelectChoice("", _l("Semua"))] + [
        SelectChoice(action, ACTION_LABELS[action]) for action in ACTIONS])
    admin = SelectField(_l("Admin"), coerce=str, validators=[Optional()])
    shop = StringField(_l("Toko (nama atau alamat)"), validators=[Optional(), Length(max=80)])
    date_from = DateField(_l("Dari tanggal"), validators=[Optional()])
    date_to = DateField(_l("Sampai tanggal"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)])

    def set_admins(self, admins):
        """Offer the admins as choices."""
        self.admin.choices = [SelectChoice("", _l("Semua"))] + [
            SelectChoice(str(admin.id), f"{admin.name} ({admin.email})") for admin in admins]

    def validate_date_to(self, field):
        """The range must not end before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("Tanggal akhir tidak boleh sebelum tanggal awal."))


class ShopSearchForm(Form):
    """Finding shops by name, slug or district, and by status."""

    class Meta:
        csrf = False

    q = StringField(_l("Cari toko (nama, alamat, kecamatan)"), validators=[Optional(), Length(max=80)])
    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("Semua")), SelectChoice("active", _l("Aktif")),
        SelectChoice("suspended", _l("Dibekukan"))])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)])
