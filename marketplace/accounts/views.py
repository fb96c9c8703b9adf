"""Register, verify the address, log in, log out, change or reset the password."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import DomainError, NotAllowed
from ..extensions import db, limiter
from ..orders.service import merge_visitor_cart
from ..web import local_next, safe_next
from . import service, throttle, tokens
from .forms import ChangePasswordForm, EmptyForm, ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm

bp = Blueprint("accounts", __name__)


def _failed(response):
    """Only failed attempts count towards the limits; success redirects."""
    return response.status_code != 302


def _email_and_address_key():
    """Failures count per (email, address): a stranger's guesses never use up the owner's attempts."""
    return f"login:{get_remote_address()}:{_typed_email()}"


def _typed_email():
    return service.normalise_email(request.form.get("email", ""))[:254]


def landing_endpoint(user):
    """Where a user starts after logging in: producers and admins at their work, buyers at the shop window."""
    if user.is_admin:
        return "moderation.overview"
    return "shops.dashboard" if user.is_producer else "catalogue.home"


def _login_reason():
    """Why the login page was shown, when a page sent the visitor here: said above the form."""
    target = local_next()
    if target is None:
        return None
    if urlsplit(target).path in (url_for("orders.checkout"), url_for("orders.cart")):
        return _("Masuk atau daftar untuk memesan. Isi keranjang Anda tetap tersimpan.")
    return _("Masuk dulu untuk membuka halaman itu.")


def rotate_csrf_token():
    """A new CSRF token with every login and logout: a token seen before (another person at the same browser, a
    page left open) is worth nothing afterwards. Flask-WTF makes the next one when a form asks for it."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)


def _log_in(user):
    """Log the user in with a fresh CSRF token and the visitor's cart merged into theirs."""
    login_user(user)
    rotate_csrf_token()
    merge_visitor_cart(session, user)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
def register():
    """Open a buyer or producer account."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            service.self_register(email=form.email.data, name=form.name.data, phone=form.phone.data,
                                  password=form.password.data, role=form.role.data, locale=str(get_locale()),
                                  next_path=local_next())
        except DomainError as error:
            form.email.errors.append(error.message)
        else:
            db.session.commit()
            # The same page whether the address was new or had an account (its owner got an email instead).
            return render_template("accounts/check_email.html", email=service.normalise_email(form.email.data),
                                   reason="register")
    return render_template("accounts/register.html", form=form, next=local_next(), reason=_login_reason()), \
        200 if request.method == "GET" else 422


@bp.route("/login", methods=["GET", "POST"])
# Per address, generous: a whole village can share one carrier's address.
@limiter.limit("20 per minute", methods=["POST"], deduct_when=_failed)
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed, key_func=_email_and_address_key)
def login():
    """Log in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            service.remember_language(user, str(get_locale()))
            db.session.commit()
            _log_in(user)
            db.session.commit()
            return redirect(safe_next(landing_endpoint(user)))
        throttle.record_login_failure(_typed_email())
        form.password.errors.append(_("Email atau kata sandi salah."))
    status = 200 if request.method == "GET" else 401
    return render_template("accounts/login.html", form=form, next=local_next(), reason=_login_reason()), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out here and invalidate every copy of this session cookie."""
    service.rotate_session_token(current_user)
    db.session.commit()
    logout_user()
    rotate_csrf_token()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("catalogue.home"))


def _user_key():
    return f"password-change:{current_user.get_id().partition(':')[0]}"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed, key_func=_user_key)
def change_password():
    """Change the password; every other session is logged out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.new_password.data)
        except NotAllowed as error:
            db.session.rollback()
            if throttle.record_password_change_failure(current_user.id):
                return _log_out_everywhere()
            form.current_password.errors.append(error.message)
        except DomainError as error:
            form.current_password.errors.append(error.message)
        else:
            throttle.forget_password_change_failures(current_user.id)
            db.session.commit()
            # The user itself, not the proxy: stored as the request's user, the proxy would point at itself.
            login_user(current_user._get_current_object())
            rotate_csrf_token()
            flash(_("Kata sandi sudah diganti. Sesi di perangkat lain sudah dikeluarkan."), "success")
            return redirect(url_for("accounts.change_password"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/change_password.html", form=form), status


def _log_out_everywhere():
    """Too many wrong current passwords: whoever holds this session may not be its owner. Every session of the
    account ends; the owner logs in again with the password (or resets it)."""
    user = current_user._get_current_object()
    service.rotate_session_token(user)
    db.session.commit()
    throttle.forget_password_change_failures(user.id)
    logout_user()
    rotate_csrf_token()
    flash(_("Terlalu banyak kata sandi salah. Demi keamanan, akun Anda dikeluarkan dari semua perangkat. "
            "Silakan masuk lagi."), "error")
    return redirect(url_for("accounts.login"))


@bp.route("/account/verify/<token>")
def verify_email(token):
    """The link mailed to a new address: the address is verified, and on first use its owner is logged in."""
    user, first_time = service.verify_email(token)
    if user is None:
        return render_template("accounts/link_invalid.html", reason="verify"), 400
    db.session.commit()
    if first_time and not current_user.is_authenticated:
        _log_in(user)
        db.session.commit()
    flash(_("Email Anda sudah terverifikasi."), "success")
    if current_user.is_authenticated:   # back where registration began (checkout), else at their work
        return redirect(safe_next(landing_endpoint(current_user)))
    return redirect(url_for("catalogue.home"))


@bp.route("/account/verify", methods=["GET", "POST"])
@login_required
@limiter.limit("3 per hour", methods=["POST"], key_func=_user_key)
def verification_needed():
    """Asked before checkout while the address is not verified; POST mails the link again."""
    form = EmptyForm()
    if current_user.is_email_verified:
        return redirect(safe_next())
    if form.validate_on_submit():
        service.send_verification(current_user)
        db.session.commit()
        flash(_("Tautan verifikasi sudah dikirim ke %(email)s.", email=current_user.email), "success")
        return redirect(url_for("accounts.verification_needed", next=request.args.get("next")))
    return render_template("accounts/verify.html", form=form)


def _forgot_email_key():
    return "forgot:" + _typed_email()


@bp.route("/account/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_forgot_email_key)
def forgot_password():
    """Ask for a password reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/check_email.html", email=service.normalise_email(form.email.data),
                               reason="reset")
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token):
    """Set a new password from the emailed link, once; every session of the account is logged out."""
    if tokens.user_for_reset(token) is None:
        return render_template("accounts/link_invalid.html", reason="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(token, form.new_password.data)
        except DomainError as error:
            form.new_password.errors.append(error.message)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            rotate_csrf_token()
            flash(_("Kata sandi baru sudah disimpan dan semua perangkat sudah dikeluarkan. Silakan masuk."),
                  "success")
            return redirect(url_for("accounts.login"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/reset_password.html", form=form), status
