"""Security headers on every response."""
from flask import current_app

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
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
    return response
