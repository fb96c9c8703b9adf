"""CSRF protection that lets a visitor browse without a cookie.

A browser tells where a POST comes from: `Sec-Fetch-Site` (every current browser) or, failing that,
`Origin` (sent with every cross-origin and same-origin POST since 2020). A POST whose headers say it comes
from this site's own pages is accepted, one whose headers say anything else is refused, token or not;
only a client that sends neither (an old browser, a script, the test client) is held to the session's
Flask-WTF token as before. This is OWASP's "verifying origin with standard headers" / Fetch Metadata
defence, the one Go's net/http CrossOriginProtection uses alone.

So a public page need not put a CSRF token in a session: a GET of a view marked @cookieless that would
only have stored a fresh token leaves no session and sends no Set-Cookie. Such visitors share cached
pages, and a reverse proxy may cache them too; their first POST (add to cart, log in) starts the session.
"""
from urllib.parse import urlsplit

from flask import current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def cookieless(view):
    """Mark a public GET view: a visitor without a session is not given one just for a CSRF token."""
    view.cookieless = True
    return view


def from_own_pages():
    """True when the browser says this request comes from our own pages, False when it says it does
    not, None when it says nothing (no Sec-Fetch-Site, no Origin)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    return origin in _own_origins()


def _own_origins():
    site = urlsplit(current_app.config["SITE_URL"])
    return {f"{site.scheme}://{site.netloc}", f"{request.scheme}://{request.host}"}


class OriginCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect, deciding by the browser's headers first (see the module docstring)."""

    def protect(self, apply_exemptions=False):
        """Refuse a POST from another site; check the session's token only when the headers are silent."""
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        verdict = from_own_pages()
        if verdict is None:
            return super().protect()
        if not verdict:
            self._error_response("The request comes from another site.")
        g.csrf_valid = True  # FlaskForm then skips its own token check, as after CSRFProtect's


class CookielessSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions that a @cookieless GET does not start for a CSRF token alone."""

    def get_signing_serializer(self, app):
        """Flask's serializer, made once per set of keys instead of on every request that carries a cookie."""
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = getattr(self, "_serializer", None)
        if kept is None or kept[0] != keys:
            kept = self._serializer = (keys, super().get_signing_serializer(app))
        return kept[1]

    def save_session(self, app, session, response):
        """Save as Flask does, unless the session would only carry a token nobody needs."""
        if session and _throwaway(app, session):
            return
        super().save_session(app, session, response)


def _throwaway(app, session):
    if request.method not in SAFE_METHODS or app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return False
    view = app.view_functions.get(request.endpoint)
    return getattr(view, "cookieless", False) and set(session) <= {app.config["WTF_CSRF_FIELD_NAME"]}

