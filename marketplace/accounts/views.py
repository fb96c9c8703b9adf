"""Register, log in, log out, change password."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import DomainError
from ..extensions import db, limiter
from ..orders.service import merge_visitor_cart
from . import service
from .forms import ChangePasswordForm, LoginForm, RegisterForm

bp = Blueprint("accounts", __name__)


def _failed(response):
    """Only failed attempts count towards the limits; success redirects."""
    return response.status_code != 302


def _email_key():
    return "login-email:" + service.normalise_email(request.form.get("email", ""))[:254]


def safe_next(default_endpoint="catalogue.home"):
    """The `next` target when it stays on this site, else a default page."""
    target = _local_next()
    return target if target is not None else url_for(default_endpoint)


def _local_next():
    """The `next` argument when it is a path on this site, else None."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and "\\" not in target:
        return target
    return None


def landing_endpoint(user):
    """Where a user starts after logging in: producers and admins at their work, buyers at the shop window."""
    if user.is_admin:
        return "moderation.overview"
    return "shops.dashboard" if user.is_producer else "catalogue.home"


def _login_reason():
    """Why the login page was shown, when a page sent the visitor here: said above the form."""
    target = _local_next()
    if target is None:
        return None
    if urlsplit(target).path in (url_for("orders.checkout"), url_for("orders.cart")):
        return _("Masuk atau daftar untuk memesan. Isi keranjang Anda tetap tersimpan.")
    return _("Masuk dulu untuk membuka halaman itu.")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
def register():
    """Open a buyer or producer account."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register_user(email=form.email.data, name=form.name.data, phone=form.phone.data,
                                         password=form.password.data, role=form.role.data)
        except DomainError as error:
            form.email.errors.append(error.message)
        else:
            service.remember_language(user, str(get_locale()))
            db.session.commit()
            login_user(user)
            merge_visitor_cart(session, user)
            db.session.commit()
            flash(_("Selamat datang, %(name)s! Akun Anda sudah dibuat.", name=user.name), "success")
            return redirect(safe_next(landing_endpoint(user)))
    return render_template("accounts/register.html", form=form, next=_local_next(), reason=_login_reason()), \
        200 if request.method == "GET" else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed)
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_failed, key_func=_email_key)
def login():
    """Log in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            service.remember_language(user, str(get_locale()))
            db.session.commit()
            login_user(user)
            merge_visitor_cart(session, user)
            db.session.commit()
            return redirect(safe_next(landing_endpoint(user)))
        form.password.errors.append(_("Email atau kata sandi salah."))
    status = 200 if request.method == "GET" else 401
    return render_template("accounts/login.html", form=form, next=_local_next(), reason=_login_reason()), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out here and invalidate every copy of this session cookie."""
    service.rotate_session_token(current_user)
    db.session.commit()
    logout_user()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("catalogue.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; every other session is logged out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            form.current_password.errors.append(error.message)
        else:
            db.session.commit()
            login_user(current_user)
            flash(_("Kata sandi sudah diganti. Sesi di perangkat lain sudah dikeluarkan."), "success")
            return redirect(url_for("accounts.change_password"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/change_password.html", form=form), status
