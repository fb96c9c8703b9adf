"""Forms that parse review input; the rules themselves live in service.py."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import Form
from ..moderation.service import MAX_REASON
from .models import MAX_BODY
from .service import MAX_REPLY

STAR_LABELS = {
    5: _l("★★★★★ 5 – Sangat puas"),
    4: _l("★★★★☆ 4 – Puas"),
    3: _l("★★★☆☆ 3 – Biasa saja"),
    2: _l("★★☆☆☆ 2 – Kurang puas"),
    1: _l("★☆☆☆☆ 1 – Kecewa"),
}


class ReviewForm(Form):
    """A buyer's stars (radio buttons, so it works without JavaScript) and optional words."""

    rating = RadioField(_l("Penilaian Anda"), coerce=int,
                        choices=[SelectChoice(value, label) for value, label in STAR_LABELS.items()],
                        validators=[InputRequired(message=_l("Pilih 1 sampai 5 bintang."))])
    body = TextAreaField(_l("Ceritakan pengalaman Anda (tidak wajib)"),
                         validators=[Optional(), Length(max=MAX_BODY)])


class ReplyForm(Form):
    """The producer's one answer to a review."""

    text = TextAreaField(_l("Balasan Anda"), validators=[InputRequired(message=_l("Tuliskan balasan Anda.")),
                                                         Length(max=MAX_REPLY)])


class HideForm(Form):
    """Why an admin hides a review (kept in the audit log, shown to the producer)."""

    reason = TextAreaField(_l("Alasan menyembunyikan"), validators=[
        InputRequired(message=_l("Tuliskan alasannya.")), Length(max=MAX_REASON)])


class AdminFilterForm(Form):
    """The admins' review list filter, read from the query string (GET: nothing to protect with CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Tampilkan"), validators=[Optional()], choices=[
        SelectChoice("", _l("Semua ulasan")), SelectChoice("visible", _l("Tampil")),
        SelectChoice("hidden", _l("Disembunyikan"))])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)])
