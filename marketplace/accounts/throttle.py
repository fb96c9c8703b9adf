"""Counting failed password attempts in the rate-limit storage (Redis in production), beside the limits the
views declare: one person's failures must slow an attacker without locking the owner out."""
import time

from flask import current_app
from limits import parse

from ..extensions import limiter

# Past this many failures for one email (from any addresses), every further wrong password is answered slowly;
# a right one still gets in at once, so nobody can lock another person out.
LOGIN_FAILURES_BEFORE_SLOWDOWN = parse("10 per 15 minutes")
# Wrong current passwords at /account/password before every session of the account is logged out.
PASSWORD_CHANGE_FAILURES = parse("10 per day")


class _Uncounted:
    """With RATELIMIT_ENABLED off (load tests) nothing is counted and every attempt is allowed."""

    def hit(self, *_args, **_kwargs):
        return True

    test = hit

    def clear(self, *_args, **_kwargs):
        return None


def _strategy():
    return limiter.limiter if limiter.enabled else _Uncounted()


def record_login_failure(email):
    """Count one failed login against the email; slow the answer when the email is under attack."""
    exceeded = not _strategy().hit(LOGIN_FAILURES_BEFORE_SLOWDOWN, "login-email", email)
    if exceeded:
        # Each guess of a distributed attack costs its sender this long; the owner's right password does not.
        time.sleep(current_app.config["LOGIN_SLOWDOWN_SECONDS"])


def record_password_change_failure(user_id):
    """Count one wrong current password; True when this was the last one allowed (the tenth)."""
    _strategy().hit(PASSWORD_CHANGE_FAILURES, "password-change", str(user_id))
    return not _strategy().test(PASSWORD_CHANGE_FAILURES, "password-change", str(user_id))


def forget_password_change_failures(user_id):
    """Start counting again (after a success, or after logging the account out everywhere)."""
    _strategy().clear(PASSWORD_CHANGE_FAILURES, "password-change", str(user_id))
