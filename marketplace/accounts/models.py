"""The user table and its single-row rules."""
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

ROLES = ("buyer", "producer", "admin")


def new_session_token():
    """A fresh random token; rotating it logs out every copy of the session cookie."""
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    """A person who buys, produces or administers."""

    __tablename__ = "user"
    __table_args__ = (CheckConstraint("role IN ('buyer', 'producer', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(20), default="buyer")
    password_hash: Mapped[str] = mapped_column(String(255))
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(String(5), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the owner opened the signed link mailed to the address; until then only that link is mailed.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def get_id(self):
        """Flask-Login's stored id: the user id plus the current session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_email_verified(self):
        """True once the owner has proved the address is theirs."""
        return self.email_verified_at is not None

    def has_role(self, *roles):
        """True when the user has one of the given roles."""
        return self.role in roles

    @property
    def is_admin(self):
        """True for administrators."""
        return self.role == "admin"

    @property
    def is_producer(self):
        """True for producers."""
        return self.role == "producer"
