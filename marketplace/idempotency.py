"""Idempotency keys: a request the phone may send twice (the answer was lost) acts once.

The phone makes a random key per queued action and sends it with every attempt. The first attempt records
the key with what it did, in the same transaction as the action; a later attempt with the same key finds
that record and answers with the first result instead of acting again. A refused action rolls back and
records nothing, so its retry is checked afresh."""
import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .errors import InvalidInput
from .extensions import db
from .models_base import UTCDateTime, utcnow

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class IdempotencyKey(db.Model):
    """One key a user's phone sent, the action it named and what that action made or moved."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_key_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def check_key(key):
    """The key as sent, or InvalidInput: 16 to 64 letters, digits, '-' or '_'."""
    key = str(key or "")
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidInput(_("Kunci pengiriman tidak valid. Muat ulang halaman lalu kirim lagi."))
    return key


def claim(user, key, action, target_id=None):
    """Record key for action, or return the earlier record of it (None when this is the first attempt).

    Two attempts at once: the unique constraint lets one insert win; the other waits for it to commit and
    then reads its record. The same key for another action is refused rather than guessed at."""
    key = check_key(key)
    earlier = _find(user.id, key)
    if earlier is None:
        record = IdempotencyKey(user_id=user.id, key=key, action=action, target_id=target_id)
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            earlier = _find(user.id, key)
        else:
            return None
    if earlier.action != action or (target_id is not None and earlier.target_id != target_id):
        raise InvalidInput(_("Kunci pengiriman ini sudah dipakai untuk tindakan lain."))
    return earlier


def settle(user, key, target_id):
    """Remember what the first attempt made (a new listing's id), for the replays."""
    record = _find(user.id, key)
    record.target_id = target_id
    db.session.flush()


def _find(user_id, key):
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                          IdempotencyKey.key == key))
