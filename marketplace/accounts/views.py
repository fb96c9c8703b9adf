"""Register, log in, log out, change password."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import DomainError
from ..extensions import db, limiter
from ..orders.service import merge_visitor_cart
from ..web import safe_next
from . import service
from .forms import ChangePasswordForm, LoginForm, RegisterForm

bp = Blueprint("accounts", __name__)


def _failed(response):
    """Only failed attempts count towards the limits; success redirects."""
    return response.status_code != 302


def _email_key():
    return "login-email:" + service.normalise_email(request.form.get("email", ""))[:254]


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
            return redirect(url_for("shops.dashboard") if user.is_producer else url_for("catalogue.home"))
    return render_template("accounts/register.html", form=form), 200 if request.method == "GET" else 422


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
            return redirect(safe_next())
        form.password.errors.append(_("Email atau kata sandi salah."))
    status = 200 if request.method == "GET" else 401
    return render_template("accounts/login.html", form=form), status


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
            # The user itself, not the proxy: stored as the request's user, the proxy would point at itself.
            login_user(current_user._get_current_object())
            flash(_("Kata sandi sudah diganti. Sesi di perangkat lain sudah dikeluarkan."), "success")
            return redirect(url_for("accounts.change_password"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/change_password.html", form=form), status
