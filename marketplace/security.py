"""Security headers on every response."""
from flask import current_app, request, session

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def add_security_headers(response):
    """Add CSP, nosniff, referrer policy and, in production, HSTS."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["PRODUCTION"]:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint != "static" and depends_on_session():
        # A shared cache or the browser's back button must never show one person's page to another.
        response.headers["Cache-Control"] = "no-store"
    return response


def depends_on_session():
    """True when the response was built from a session that holds something (a login, a cart, a CSRF token).

    An empty session read by a template says nothing about the visitor, so such pages stay cacheable."""
    return session.accessed and (bool(session) or session.modified)
