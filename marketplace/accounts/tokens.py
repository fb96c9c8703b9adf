"""Signed, expiring links sent by email: verifying an address and resetting a password.

A token names the user and a fingerprint of what it may act on (the address; the password and session), so a
verification link dies when the address changes and a reset link dies once used (the password it resets and
every session change) or after an hour."""
import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from .models import User

VERIFY_MAX_AGE_SECONDS = 3 * 24 * 3600
RESET_MAX_AGE_SECONDS = 3600
MAX_TOKEN_CHARS = 300  # ours are about 100; anything far longer is not one of ours


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"pasardesa-{purpose}")


def _fingerprint(*parts):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def _verify_parts(user):
    return (user.email,)


def _reset_parts(user):
    return (user.password_hash, user.session_token)


def verification_token(user):
    """The token of the link that verifies the user's current address."""
    return _serializer("verify-email").dumps([user.id, _fingerprint(*_verify_parts(user))])


def reset_token(user):
    """The token of the link that sets a new password once, within RESET_MAX_AGE_SECONDS."""
    return _serializer("reset-password").dumps([user.id, _fingerprint(*_reset_parts(user))])


def user_for_verification(token):
    """The user whose address this token verifies, or None (forged, expired, or the address changed)."""
    return _load("verify-email", token, VERIFY_MAX_AGE_SECONDS, _verify_parts)


def user_for_reset(token):
    """The user whose password this token may reset, or None (forged, expired, or already used)."""
    return _load("reset-password", token, RESET_MAX_AGE_SECONDS, _reset_parts)


def _load(purpose, token, max_age, parts):
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        user_id, fingerprint = _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or not hmac.compare_digest(_fingerprint(*parts(user)), fingerprint):
        return None
    return user
