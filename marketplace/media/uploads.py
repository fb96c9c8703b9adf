"""Resumable photo uploads: a photo sent in parts over a link that keeps dropping.

The phone names the upload (a random token) and its size, then sends parts in order, each at the offset
the server last confirmed; a part sent twice (its answer was lost) is confirmed again and not stored twice.
Parts live in the database, so any server process can take the next one. When the last part arrives the
whole file goes through the one photo pipeline (process_upload), exactly like a form upload; a refused file
leaves nothing behind. Uploads not finished, or finished but never used, for a day are discarded."""
import re
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..database import release_transaction
from ..errors import InvalidInput, InvalidState
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from . import intake
from .limits import MAX_PHOTO_BYTES, photo_too_large
from .service import process_upload
from .worker import ChildFailed

PART_BYTES = 256 * 1024
MAX_OPEN_UPLOADS = 40
ABANDONED_AFTER = timedelta(days=1)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class PhotoUpload(db.Model):
    """One photo on its way from a phone: how big it is, how much arrived, and once whole, where it lives."""

    __tablename__ = "photo_upload"
    __table_args__ = (UniqueConstraint("user_id", "token", name="uq_photo_upload_user_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    received_bytes: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def is_done(self):
        """Whole and through the pipeline: ready to be attached to a listing."""
        return self.content_hash is not None

    def status(self):
        """What the phone needs to carry on: the confirmed offset, the size, and whether it is done."""
        return {"token": self.token, "offset": self.received_bytes, "size": self.size_bytes,
                "done": self.is_done, "part_bytes": PART_BYTES}


class PhotoUploadPart(db.Model):
    """One part of an upload, kept until the photo is whole."""

    __tablename__ = "photo_upload_part"

    upload_id: Mapped[int] = mapped_column(ForeignKey("photo_upload.id", ondelete="CASCADE"), primary_key=True)
    offset: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


def _token(token):
    token = str(token or "")
    if not TOKEN_PATTERN.fullmatch(token):
        raise InvalidInput(_("Kode unggahan tidak valid."))
    return token


def find_upload(user, token):
    """The user's upload with this token, or None."""
    return db.session.scalar(select(PhotoUpload).where(PhotoUpload.user_id == user.id,
                                                       PhotoUpload.token == _token(token)))


def start_upload(user, token, size_bytes):
    """Begin an upload of size_bytes (or return the one already begun with this token)."""
    upload = find_upload(user, token)
    if upload is not None:
        if upload.size_bytes != size_bytes:
            raise InvalidInput(_("Ukuran foto berbeda dengan unggahan yang sudah dimulai."))
        return upload
    if not isinstance(size_bytes, int) or isinstance(size_bytes, bool) or not 0 < size_bytes <= MAX_PHOTO_BYTES:
        raise InvalidInput(photo_too_large())
    open_count = db.session.scalar(select(db.func.count()).select_from(PhotoUpload)
                                   .where(PhotoUpload.user_id == user.id))
    if open_count >= MAX_OPEN_UPLOADS:
        raise InvalidState(_("Terlalu banyak foto yang belum selesai dikirim. Kirim draf yang ada dulu."))
    upload = PhotoUpload(user_id=user.id, token=token, size_bytes=size_bytes)
    db.session.add(upload)
    db.session.flush()
    return upload


def add_part(upload, offset, data):
    """Store the part that starts at the confirmed offset; a part already confirmed changes nothing.

    Returns True when this part completed the file (the caller then commits and runs finish_upload); so does the
    last part sent again to a file whole but not through the pipeline (its processing failed or was cut short)."""
    if upload.is_done:
        return False
    if offset < upload.received_bytes and offset + len(data) <= upload.received_bytes:
        return upload.received_bytes == upload.size_bytes  # a retry of a part whose answer was lost
    if not data and offset == upload.received_bytes == upload.size_bytes:
        # Whole, not through the pipeline: the phone found it so (another page of it sent the last part, whose
        # answer it never saw, or the photo child died) and asks for what follows the end, which is nothing.
        return True
    if offset != upload.received_bytes:
        raise InvalidState(_("Bagian foto tidak berurutan; lanjutkan dari bagian terakhir yang diterima."))
    if not 0 < len(data) <= PART_BYTES or offset + len(data) > upload.size_bytes:
        raise InvalidInput(_("Bagian foto tidak valid."))
    # Conditional on the offset we saw: of two copies of one part arriving at once, only one is kept.
    moved = db.session.execute(
        update(PhotoUpload).where(PhotoUpload.id == upload.id, PhotoUpload.received_bytes == offset)
        .values(received_bytes=offset + len(data), updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise InvalidState(_("Bagian foto tidak berurutan; lanjutkan dari bagian terakhir yang diterima."))
    db.session.add(PhotoUploadPart(upload_id=upload.id, offset=offset, data=bytes(data)))
    db.session.flush()
    db.session.refresh(upload)
    return upload.received_bytes == upload.size_bytes


def assembled(upload):
    """The whole file, its parts joined in order."""
    parts = db.session.scalars(select(PhotoUploadPart.data).where(PhotoUploadPart.upload_id == upload.id)
                               .order_by(PhotoUploadPart.offset)).all()
    return b"".join(parts)


def finish_upload(upload, storage):
    """Run the whole file through the photo pipeline and keep where it lives; a refusal discards the upload.

    Call it with the last part committed: reading the parts took SQLite's write lock (every POST takes it at its
    first query), and it is let go before the seconds of decoding, so buyers do not queue behind this photo.
    A photo child that died (ChildFailed) leaves the upload whole and waiting, for the last part sent again."""
    data = assembled(upload)
    if len(data) != upload.size_bytes:
        db.session.refresh(upload)
        if upload.is_done:  # another page of the same phone finished it after our part was committed
            release_transaction(db.session)
            return upload
    release_transaction(db.session)
    try:
        stored = process_upload(intake.take(data).data, storage)
    except ChildFailed:
        raise
    except InvalidInput:
        db.session.delete(upload)
        db.session.flush()
        raise
    upload.content_hash, upload.width, upload.height = stored.content_hash, stored.width, stored.height
    db.session.execute(delete(PhotoUploadPart).where(PhotoUploadPart.upload_id == upload.id))
    db.session.flush()
    return upload


def keep_processed(user, stored):
    """Keep a photo already through the pipeline as the user's finished upload; returns it (its token names it).

    A form refused for another reason (a shop without a village) carries the token in a hidden field, so the
    photo is neither lost nor sent again over a weak signal. Like every upload, it is discarded after a day."""
    open_count = db.session.scalar(select(db.func.count()).select_from(PhotoUpload)
                                   .where(PhotoUpload.user_id == user.id))
    if open_count >= MAX_OPEN_UPLOADS:
        raise InvalidState(_("Terlalu banyak foto yang belum selesai dikirim. Kirim draf yang ada dulu."))
    size = max(1, sum(stored.variant_bytes.values()))
    upload = PhotoUpload(user_id=user.id, token=secrets.token_urlsafe(24), size_bytes=size, received_bytes=size,
                         content_hash=stored.content_hash, width=stored.width, height=stored.height)
    db.session.add(upload)
    db.session.flush()
    return upload


def take_finished(user, tokens):
    """The user's finished uploads for these tokens, in the order given, removed from the waiting list.

    Their content_hash, width and height are all a listing needs to attach them."""
    if len(set(tokens)) != len(tokens):
        raise InvalidInput(_("Foto yang sama terkirim dua kali dalam satu draf."), field="photo")
    taken = []
    for token in tokens:
        upload = find_upload(user, token)
        if upload is None or not upload.is_done:
            raise InvalidInput(_("Ada foto yang belum selesai terkirim. Kirim ulang draf ini."), field="photo")
        taken.append(upload)
    for upload in taken:
        db.session.delete(upload)
    db.session.flush()
    return taken


def discard_abandoned(now=None):
    """Delete uploads untouched for ABANDONED_AFTER, with their parts; returns how many."""
    cutoff = (now or utcnow()) - ABANDONED_AFTER
    ids = db.session.scalars(select(PhotoUpload.id).where(PhotoUpload.updated_at < cutoff)).all()
    if ids:
        db.session.execute(delete(PhotoUploadPart).where(PhotoUploadPart.upload_id.in_(ids)))
        db.session.execute(delete(PhotoUpload).where(PhotoUpload.id.in_(ids)))
    return len(ids)
