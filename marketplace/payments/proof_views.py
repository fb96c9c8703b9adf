"""The buyer's proof of transfer: sent from the order page, fetched back only by that buyer and by admins."""
from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError, InvalidState
from ..extensions import db
from ..orders import queries
from . import proofs
from ..media.service import MAX_PHOTO_BYTES
from .forms import ProofForm
from .settle import open_attempt
from .views import bp


@bp.app_context_processor
def proof_words():
    """For the order page: the newest proof of a payment."""
    return {"latest_proof": proofs.latest_proof}


@bp.route("/orders/<code>/proof", methods=["POST"])
@login_required
def upload_proof(code):
    """Keep the buyer's receipt for the order's open transfer or QRIS payment."""
    order = queries.buyer_order(current_user, code)
    if order is None:
        abort(404)
    form = ProofForm()
    upload = request.files.get("proof")
    if not form.validate_on_submit():
        abort(400)
    payment = open_attempt(order) if order.state == "pending" else None
    try:
        if payment is None:
            raise InvalidState(_("Pesanan ini tidak menunggu pembayaran."))
        data = _read(upload)
        proofs.add_proof(payment, current_user, data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("orders.order_page", code=code) + "#transfer")
    db.session.commit()
    flash(_("Bukti transfer terkirim. Admin akan memeriksanya."), "success")
    return redirect(url_for("orders.order_page", code=code) + "#transfer")


def _read(upload):
    """The upload's bytes (one past the largest accepted, enough to refuse it), its spooled file closed."""
    if upload is None:
        return b""
    try:
        return upload.stream.read(max(proofs.MAX_PDF_BYTES, MAX_PHOTO_BYTES) + 1)
    finally:
        upload.close()


@bp.route("/proofs/<int(max=2147483647):proof_id>")
@login_required
def proof_file(proof_id):
    """The stored receipt, as a download that no browser renders as a page; 404 for anyone else's."""
    proof = proofs.visible_proof(proof_id, current_user)
    if proof is None:
        abort(404)
    try:
        data = proofs.proof_bytes(proof)
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=proof.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="bukti-{proof.id}.{proof.extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
