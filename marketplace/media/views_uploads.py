"""Resumable photo uploads over JSON: start (or ask where it stands), then send parts.

    POST /api/uploads/<token>               {"size": n}  -> the upload's status (begun, or as it stands)
    GET  /api/uploads/<token>                            -> the status (404 when unknown)
    PUT  /api/uploads/<token>/parts/<offset> raw bytes   -> the status; 409 with it for a part out of order

Every answer carries the confirmed offset, so the phone always knows where to carry on. A producer's session
is required (401 with the login address when it expired); CSRF comes in the X-CSRFToken header."""
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from . import quota, uploads
from .storage import get_storage
from .views import bp
from .worker import ChildFailed


def session_expired():
    """The JSON answer to a phone whose session ended: log in again, then carry on."""
    return jsonify(error=_("Sesi Anda berakhir. Masuk lagi untuk melanjutkan pengiriman."),
                   login=url_for("accounts.login")), 401


def producer_refusal():
    """The JSON refusal for anyone but a logged-in producer (401 when the session ended), or None."""
    if not current_user.is_authenticated:
        return session_expired()
    if not current_user.has_role("producer"):
        return jsonify(error=_("Anda tidak memiliki izin untuk membuka halaman ini.")), 403
    return None


@bp.post("/api/uploads/<token>")
def start_upload(token):
    """Begin an upload of the size given, or report the one already begun under this token."""
    refused = producer_refusal()
    if refused:
        return refused
    body = request.get_json(silent=True) or {}
    upload = uploads.start_upload(current_user, token, body.get("size"))
    db.session.commit()
    return jsonify(upload.status())


@bp.get("/api/uploads/<token>")
def upload_status(token):
    """Where an upload stands: the phone asks after a dropped connection."""
    refused = producer_refusal()
    if refused:
        return refused
    upload = uploads.find_upload(current_user, token)
    if upload is None:
        return jsonify(error=_("Unggahan tidak ditemukan.")), 404
    return jsonify(upload.status())


@bp.put("/api/uploads/<token>/parts/<int(max=2147483647):offset>")
def upload_part(token, offset):
    """Store one part; the last one runs the photo pipeline over the whole file (counted in the hourly photo
    allowance, 429 beyond it)."""
    refused = producer_refusal()
    if refused:
        return refused
    upload = uploads.find_upload(current_user, token)
    if upload is None:
        return jsonify(error=_("Unggahan tidak ditemukan.")), 404
    try:
        complete = uploads.add_part(upload, offset, request.get_data(cache=False))
    except InvalidState as error:
        db.session.rollback()
        db.session.refresh(upload)
        return jsonify(error=error.message, **upload.status()), 409
    if complete:
        quota.charge_photos(current_user.id, 1)
        db.session.commit()  # the part is kept whatever the pipeline answers; no transaction while it works
        try:
            uploads.finish_upload(upload, get_storage())
        except ChildFailed as error:
            # Nothing was recorded; the file stays whole, and sending its last part again retries it.
            db.session.rollback()
            return jsonify(error=error.message, **upload.status()), 503
        except InvalidInput as error:
            # The refused photo has been discarded, parts and all: keep that, and say why.
            db.session.commit()
            return jsonify(error=error.message, discarded=True), 422
    db.session.commit()
    return jsonify(upload.status())
