"""Forms that parse and validate account input."""
from flask_babel import lazy_gettext as _l
from ..forms import Form
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField, TelField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Regexp

from .service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class RegisterForm(Form):
    """Self-service registration as a buyer or a producer."""

    name = StringField(_l("Nama lengkap"), validators=[InputRequired(), Length(min=2, max=120)])
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254),
                                                Email(check_deliverability=False)])
    phone = TelField(_l("Nomor HP"), validators=[
        InputRequired(), Length(max=20),
        Regexp(r"^\+?[0-9 \-]{8,20}$", message=_l("Nomor HP hanya berisi angka, spasi, tanda - dan +."))])
    role = RadioField(_l("Saya ingin"), choices=[SelectChoice("buyer", _l("Membeli")), SelectChoice("producer", _l("Berjualan"))],
                      default="buyer", validators=[InputRequired()])
    password = PasswordField(_l("Kata sandi"), validators=[
        InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("Ulangi kata sandi"), validators=[
        InputRequired(), EqualTo("password", message=_l("Kedua kata sandi harus sama."))])


class LoginForm(Form):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Kata sandi"), validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)])


class ChangePasswordForm(Form):
    """The current password and a new one."""

    current_password = PasswordField(_l("Kata sandi saat ini"),
                                     validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new_password = PasswordField(_l("Kata sandi baru"), validators=[
        InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("Ulangi kata sandi baru"), validators=[
        InputRequired(), EqualTo("new_password", message=_l("Kedua kata sandi harus sama."))])


class EmptyForm(Form):
    """A POST-only button: carries nothing but the CSRF token."""


class ForgotPasswordForm(Form):
    """The address to send a reset link to."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254), Email(check_deliverability=False)])


class ResetPasswordForm(Form):
    """A new password, typed twice."""

    new_password = PasswordField(_l("Kata sandi baru"), validators=[
        InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("Ulangi kata sandi baru"), validators=[
        InputRequired(), EqualTo("new_password", message=_l("Kedua kata sandi harus sama."))])
