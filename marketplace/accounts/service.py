"""Account rules: registration, authentication, password changes, sessions."""
import hmac
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from ..driver_reads import driver_instance
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..links import site_url_for
from ..models_base import utcnow
from ..notifications import service as notifications
from . import tokens
from .models import User, new_session_token

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
SELF_SERVICE_ROLES = ("buyer", "producer")
# Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = None


def _hasher():
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_KIB"],
                          parallelism=1, type=Type.ID)


def hash_password(password):
    """Hash a password with argon2id at the configured cost."""
    return _hasher().hash(password)


def normalise_email(email):
    """Emails are compared case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def check_password_rules(password):
    """Refuse passwords that are too short or absurdly long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("Kata sandi minimal %(n)d karakter.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(_("Kata sandi maksimal %(n)d karakter.", n=MAX_PASSWORD_LENGTH))


def find_user_by_email(email):
    """The user with this email, or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(*, email, name, phone, password, role="buyer", verified=False):
    """Create a buyer, producer or admin account; `verified` when the address is known to be the owner's."""
    if role not in SELF_SERVICE_ROLES + ("admin",):
        raise InvalidInput(_("Peran tidak dikenal."))
    check_password_rules(password)
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise InvalidInput(_("Email ini sudah terdaftar. Silakan masuk."))
    user = User(email=email, name=name.strip(), phone=(phone or "").strip(), role=role,
                password_hash=hash_password(password), email_verified_at=utcnow() if verified else None)
    db.session.add(user)
    db.session.flush()
    return user


def remember_language(user, locale):
    """Keep the language the user reads the site in, so that emails to them are written in it too."""
    if locale in current_app.config["LANGUAGES"] and user.locale != locale:
        user.locale = locale
        db.session.flush()


def authenticate(email, password):
    """The user whose email and password match, or None."""
    global _DUMMY_HASH
    user = find_user_by_email(email)
    hasher = _hasher()
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hasher.hash("pasar-desa-timing-guard")
        _verify(hasher, _DUMMY_HASH, password)
        return None
    if not _verify(hasher, user.password_hash, password):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def _verify(hasher, password_hash, password):
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def change_password(user, current_password, new_password):
    """Set a new password and log out every other copy of the user's session."""
    if not _verify(_hasher(), user.password_hash, current_password):
        raise NotAllowed(_("Kata sandi saat ini salah."))
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    rotate_session_token(user)


def rotate_session_token(user):
    """Invalidate every session cookie that carries the old token."""
    user.session_token = new_session_token()
    db.session.flush()


def load_user_from_session(stored_id):
    """Flask-Login's loader: the user only if the stored token is still current."""
    found = load_user_with(stored_id)
    return found and found[0]


def load_user_with(stored_id, column=None):
    """(user, the value of `column`) if the stored token is still current, else None. `column` is a function
    that builds a scalar subquery correlated to User (a page header's count, say): it is read in the same
    statement as the user, a round trip fewer on PostgreSQL; without it the value is None."""
    user_id, _sep, token = (stored_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user, others = driver_instance(db.session, User, _user_select(column), {"id": int(user_id)})
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user, others[0] if column is not None else None


@cache
def _user_select(column=None):
    # Every request of a logged-in user loads them: the select is built once and run by the driver
    # (driver_reads.driver_instance), which cost a third of an ORM query.
    statement = select(*User.__table__.columns).where(User.id == bindparam("id"))
    return statement if column is None else statement.add_columns(column())


def count_users():
    """How many accounts exist."""
    return db.session.scalar(select(func.count(User.id)))


def self_register(*, email, name, phone, password, role, locale, next_path=None):
    """Open a buyer or producer account and mail its verification link; the new user, or None when the address
    already has an account, whose owner is told instead. Callers answer both the same way, so the form never
    reveals who has an account."""
    if role not in SELF_SERVICE_ROLES:
        raise InvalidInput(_("Peran tidak dikenal."))
    check_password_rules(password)
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(password)  # the same work as a new account, so the answer takes as long
        # At most one such email an hour: the form must not become a way to flood someone's inbox.
        notifications.account_message("already_registered", existing,
                                      f"already:{existing.id}:{utcnow():%Y%m%d%H}",
                                      login_url=site_url_for("accounts.login"),
                                      reset_url=site_url_for("accounts.forgot_password"))
        return None
    user = register_user(email=email, name=name, phone=phone, password=password, role=role)
    remember_language(user, locale)
    send_verification(user, next_path)
    return user


def send_verification(user, next_path=None):
    """Mail the link that verifies the user's address (at most one every ten minutes); following it leads on
    to next_path (a page of this site, e.g. checkout) once logged in."""
    if user.is_email_verified:
        return
    bucket = int(utcnow().timestamp()) // 600
    notifications.account_message("verify_email", user, f"verify:{user.id}:{bucket}",
                                  link=site_url_for("accounts.verify_email", token=tokens.verification_token(user),
                                                    **({"next": next_path} if next_path else {})))


def verify_email(token):
    """Mark the address of the token's user verified; returns (user, True when this was the first time).

    None when the token is forged, expired or for an address the account no longer has."""
    user = tokens.user_for_verification(token)
    if user is None:
        return None, False
    if user.is_email_verified:
        return user, False
    user.email_verified_at = utcnow()
    db.session.flush()
    return user, True


def request_password_reset(email):
    """Mail a one-time reset link when the address has an account (at most one every two minutes); nothing
    tells the caller whether it has one."""
    user = find_user_by_email(email)
    if user is None:
        return
    bucket = int(utcnow().timestamp()) // 120
    notifications.account_message("password_reset", user, f"reset:{user.id}:{bucket}",
                                  link=site_url_for("accounts.reset_password", token=tokens.reset_token(user)))


def reset_password(token, new_password):
    """Set a new password from a reset link, once; every session of the account is logged out. The link came
    to the address, so the address is verified too. NotAllowed for a link that is forged, expired or used."""
    user = tokens.user_for_reset(token)
    if user is None:
        raise NotAllowed(_("Tautan ini tidak berlaku lagi (sudah dipakai atau lebih dari 1 jam). Minta tautan baru."))
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()
    rotate_session_token(user)
    return user
