"""Proofs of transfer ("bukti transfer"): a photo or PDF of the buyer's receipt, kept privately for the admins
who check transfers.

A proof is never public. Files live in a private store (a directory of their own outside MEDIA_ROOT, which the
/media/ route cannot reach; with MEDIA_STORAGE=s3, the bucket's `private/` prefix, written without public cache
headers) and are sent only through the app, to the order's buyer and to admins, as attachments.

What is kept is decided by the content, never by the file's name or declared type: a photo goes through the
photo pipeline (decoded fully, turned upright, stripped of metadata, stored as WebP, so nothing else hidden in
the file survives); a PDF must be one from its first byte to its end marker, and is stored as sent but never
rendered by the app. Anything else is refused with the reason.
"""
import hashlib
import os
import re
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..links import site_url_for
from ..media import service as media
from ..media.storage import LocalStorage, get_storage
from ..models_base import UTCDateTime, utcnow
from ..notifications import service as notifications
from .models import TRANSFER_METHODS

MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_PROOFS_PER_PAYMENT = 5
PRIVATE_PREFIX = "private"
PROOF_STATES = ("waiting", "accepted", "rejected")
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
# Markup that a browser sniffing the bytes would run: no bank's receipt carries it outside a compressed stream.
_MARKUP = re.compile(rb"<\s*(script|html|body|iframe|svg|object|embed|meta)\b|<!doctype", re.IGNORECASE)
# Active PDF content: scripts, launching programs, files carried inside. A receipt needs none of it.
_ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


class PaymentProof(db.Model):
    """One receipt a buyer sent for a transfer or QRIS payment, and what an admin decided about it."""

    __tablename__ = "payment_proof"
    __table_args__ = (CheckConstraint("state IN ('waiting', 'accepted', 'rejected')", name="state_known"),
                      CheckConstraint("content_type IN ('image/webp', 'application/pdf')", name="type_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="waiting")
    reason: Mapped[str] = mapped_column(String(300), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment = relationship("Payment")

    @property
    def extension(self):
        """The file name's ending, from what the content is."""
        return "pdf" if self.content_type == "application/pdf" else "webp"


def private_storage():
    """Where proofs live: a directory of their own beside the public media on local disk (PRIVATE_MEDIA_ROOT,
    default <instance>/private-media), or the media bucket (keys under private/, never public) with S3."""
    storage = get_storage()
    if isinstance(storage, LocalStorage):
        return LocalStorage(current_app.config.get("PRIVATE_MEDIA_ROOT")
                            or os.path.join(current_app.instance_path, "private-media"))
    return storage


def _save(storage, key, data):
    if isinstance(storage, LocalStorage):
        storage.save(key, data)
    else:
        storage.save(key, data, private=True)


def checked_file(data):
    """(bytes to keep, content type) of an upload judged by its content; InvalidInput with the reason."""
    if not data:
        raise InvalidInput(_("Berkas kosong. Pilih foto atau PDF bukti transfer."), field="proof")
    if data[:5] == b"%PDF-":
        return _checked_pdf(data), "application/pdf"
    try:
        return media.normalised_webp(data), "image/webp"
    except InvalidInput as error:
        raise InvalidInput(_("Bukti transfer harus foto (JPEG, PNG, WebP, HEIC) atau PDF. %(reason)s",
                             reason=error.message), field="proof") from None


def _checked_pdf(data):
    """The PDF as sent, when it is a plain PDF: the header at byte 0, the end marker at the end, no markup a
    browser could run, no scripts or embedded files."""
    if len(data) > MAX_PDF_BYTES:
        raise InvalidInput(_("PDF terlalu besar: maksimal %(mb)d MB.", mb=MAX_PDF_BYTES // (1024 * 1024)),
                           field="proof")
    tail = data[-1024:]
    if not _PDF_HEADER.match(data) or b"%%EOF" not in tail or b"startxref" not in tail or b" obj" not in data:
        raise InvalidInput(_("Berkas ini bukan PDF yang utuh."), field="proof")
    if _MARKUP.search(data) or _ACTIVE_PDF.search(data):
        raise InvalidInput(_("PDF ini memuat skrip atau halaman web; kirim foto bukti transfer saja."),
                           field="proof")
    return data


def add_proof(payment, buyer, data, now=None):
    """Keep a buyer's receipt for their open transfer or QRIS payment (the file is stored before the caller
    commits; a rollback leaves an unreferenced private file, never a row without its file)."""
    if payment.method not in TRANSFER_METHODS or payment.state != "pending":
        raise InvalidState(_("Pembayaran ini tidak menunggu bukti transfer."))
    count = db.session.scalar(select(func.count()).select_from(PaymentProof)
                              .where(PaymentProof.payment_id == payment.id))
    if count >= MAX_PROOFS_PER_PAYMENT:
        raise InvalidState(_("Sudah %(n)d bukti dikirim untuk pembayaran ini; tunggu pemeriksaan admin.",
                             n=MAX_PROOFS_PER_PAYMENT))
    kept, content_type = checked_file(data)
    proof = PaymentProof(payment_id=payment.id, uploaded_by_id=buyer.id, content_type=content_type,
                         size_bytes=len(kept), state="waiting", created_at=now or utcnow(), storage_key="")
    digest = hashlib.sha256(kept).hexdigest()
    proof.storage_key = f"{PRIVATE_PREFIX}/proofs/{payment.id}/{digest}.{proof.extension}"
    _save(private_storage(), proof.storage_key, kept)
    db.session.add(proof)
    db.session.flush()
    return proof


def proofs_of(payment_ids):
    """{payment id: [proofs, newest first]} for these payments."""
    found = {}
    if not payment_ids:
        return found
    for proof in db.session.scalars(select(PaymentProof).where(PaymentProof.payment_id.in_(payment_ids))
                                    .order_by(PaymentProof.id.desc())):
        found.setdefault(proof.payment_id, []).append(proof)
    return found


def visible_proof(proof_id, user):
    """The proof when this user may see it (an admin, or the buyer of its order), else None."""
    proof = db.session.get(PaymentProof, proof_id)
    if proof is None or user is None or not user.is_authenticated:
        return None
    if user.is_admin or proof.payment.order.buyer_id == user.id:
        return proof
    return None


def proof_bytes(proof):
    """The stored file of a proof; FileNotFoundError when it is gone."""
    return private_storage().open(proof.storage_key)


def reject(proof_id, admin, reason, now=None):
    """An admin found the receipt wrong: the proof is rejected with the reason and the buyer told by email.

    The payment stays open until its deadline: a rejected receipt says nothing about money that may still arrive
    (a transfer still clearing, a corrected amount); closing the attempt would turn that money into a refund
    and give the buyer's goods away while they still have time to pay."""
    reason = " ".join(str(reason or "").split())
    if not 5 <= len(reason) <= 300:
        raise InvalidInput(_("Tuliskan alasan penolakan (5 sampai 300 huruf)."), field="reason")
    proof = db.session.get(PaymentProof, proof_id)
    if proof is None:
        raise InvalidInput(_("Bukti transfer tidak ditemukan."))
    if proof.state != "waiting":
        raise InvalidState(_("Bukti ini sudah diperiksa."))
    proof.state, proof.reason, proof.reviewed_by_id, proof.reviewed_at = "rejected", reason, admin.id, now or utcnow()
    db.session.flush()
    order = proof.payment.order
    notifications.write(f"proof_rejected:{proof.id}", "buyer_proof_rejected", order.buyer, order=order,
                        payment=proof.payment, reason=reason,
                        order_url=site_url_for("orders.order_page", code=order.code))
    return proof


def accept_waiting(payment, admin, now=None):
    """The payment was received: its waiting proofs are accepted with it."""
    for proof in db.session.scalars(select(PaymentProof).where(PaymentProof.payment_id == payment.id,
                                                               PaymentProof.state == "waiting")):
        proof.state, proof.reviewed_by_id, proof.reviewed_at = "accepted", admin.id if admin else None, now or utcnow()
    db.session.flush()


def latest_proof(payment):
    """The payment's newest proof, or None."""
    return db.session.scalar(select(PaymentProof).where(PaymentProof.payment_id == payment.id)
                             .order_by(PaymentProof.id.desc()).limit(1))

