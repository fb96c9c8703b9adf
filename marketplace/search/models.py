"""The search outbox: changes committed to the database that the index has not applied yet."""
from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

OUTBOX_KINDS = ("product", "shop", "category")


class SearchOutbox(db.Model):
    """One changed object (a product, or a shop or category whose products must be reindexed).

    Written in the same transaction as the change and deleted only after the index has committed
    it, so a process that dies in between loses nothing: the next drain applies the row again.
    No foreign key: a row must outlive the product it names (a deleted product leaves the index).
    Ids are never reused (AUTOINCREMENT on SQLite, whose plain rowid gives the highest id + 1 again
    once that row is gone): a drain deletes the rows it read by id, however late.
    """

    __tablename__ = "search_outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


from .postgres.models import SearchDocument, SearchWord  # noqa: E402,F401  (part of the schema on every database)
