"""Domain errors raised by services, and the one place that maps them to HTTP."""
from flask import abort, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .extensions import db
from .media.limits import request_too_large


class DomainError(Exception):
    """A business rule refused an operation; the message is shown to the user."""

    status_code = 422

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The input cannot be accepted (bad file, bad value)."""

    status_code = 422


class NotAllowed(DomainError):
    """The actor may not do this."""

    status_code = 403


class InvalidState(DomainError):
    """The object is not in a state that allows this."""

    status_code = 409


class OutOfStock(DomainError):
    """Not enough stock to reserve."""

    status_code = 409


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(status, title, message, error_code=None):
    if request_ctx.url_adapter is None:
        # A Host header Flask refused (malformed, or not a trusted host): no URL can be built, so no page.
        return f"{title}\n\n{message}\n", status, {"Content-Type": "text/plain; charset=utf-8"}
    if _wants_json():
        return jsonify(error=message, **({"error_code": error_code} if error_code else {})), status
    return render_template("errors/error.html", status=status, title=title, message=message,
                           error_code=error_code), status


FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_oversize_stream():
    """A form sent without Content-Length (chunked) is read only up to MAX_CONTENT_LENGTH, and Werkzeug
    would parse an urlencoded one cut off there without complaint (and leave a cut-off upload's temporary
    file open). Read such a body first: one that reaches the limit is too large."""
    if (request.content_length is None and request.url_rule is not None
            and request.mimetype in FORM_MIMETYPES):
        request.get_data(cache=True, parse_form_data=False)
        if getattr(request.stream, "is_exhausted", False):
            abort(413)


def register_error_handlers(app):
    """Install the error pages and the domain-error mapping on the app."""
    # First of all hooks: CSRF and the views must never see a cut-off form.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_oversize_stream)

    @app.errorhandler(DomainError)
    def domain_error(error):
        db.session.rollback()
        return _render(error.status_code, _("Permintaan ditolak"), error.message)

    @app.errorhandler(400)
    def bad_request(error):
        return _render(400, _("Permintaan tidak valid"),
                       _("Permintaan ini tidak dapat diproses. Periksa isian Anda lalu coba lagi."))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _render(400, _("Formulir kedaluwarsa"),
                       _("Formulir ini sudah kedaluwarsa atau tidak lengkap. Muat ulang halaman lalu kirim lagi."))

    @app.errorhandler(403)
    def forbidden(error):
        return _render(403, _("Akses ditolak"), _("Anda tidak memiliki izin untuk membuka halaman ini."))

    @app.errorhandler(404)
    def not_found(error):
        return _render(404, _("Halaman tidak ditemukan"),
                       _("Halaman yang Anda cari tidak ada atau sudah dipindahkan."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        body, status = _render(405, _("Metode tidak diizinkan"),
                               _("Alamat ini tidak menerima permintaan seperti itu."))
        # HTTP requires a 405 to name the methods the address does accept.
        return body, status, {"Allow": ", ".join(sorted(error.valid_methods or ()))}

    @app.errorhandler(413)
    def too_large(error):
        return _render(413, _("Berkas terlalu besar"), request_too_large())

    @app.errorhandler(429)
    def too_many_requests(error):
        return _render(429, _("Terlalu banyak percobaan"),
                       _("Terlalu banyak percobaan dalam waktu singkat. Tunggu satu menit lalu coba lagi."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        # The request id, which the error's log line (with its traceback) carries too: quotable on WhatsApp.
        return _render(500, _("Terjadi kesalahan"),
                       _("Maaf, terjadi kesalahan di server. Silakan coba lagi sebentar lagi."),
                       error_code=g.get("request_id"))
