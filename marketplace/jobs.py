"""The cron commands' last successful runs, so that a command that stopped running can be alerted on."""
import functools
import time
import uuid
from datetime import datetime

from sqlalchemy import Integer, String, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .logs import REQUEST_ID
from .models_base import UTCDateTime, utcnow


class JobRun(db.Model):
    """One row per cron command: when it last finished without an error, and how long that run took."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_duration_ms: Mapped[int] = mapped_column(Integer, default=0)


def records_run(name):
    """Decorate a cron command: its log lines carry one run id, and a run that ends without an error is
    recorded as the command's last success (an error leaves the previous one, which is what alerts see)."""

    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            token = REQUEST_ID.set(f"{name.replace(' ', '-')}-{uuid.uuid4().hex[:12]}")
            started = time.perf_counter()
            try:
                result = command(*args, **kwargs)
                record_success(name, int((time.perf_counter() - started) * 1000))
                return result
            finally:
                REQUEST_ID.reset(token)

        return run

    return decorate


def record_success(name, duration_ms, now=None):
    """Write the command's last success in a transaction of its own."""
    db.session.rollback()  # the command has committed its work; anything left over is not ours to write
    now = now or utcnow()
    changed = db.session.execute(update(JobRun).where(JobRun.name == name)
                                 .values(last_success_at=now, last_duration_ms=duration_ms)).rowcount
    if not changed:
        db.session.add(JobRun(name=name, last_success_at=now, last_duration_ms=duration_ms))
    try:
        db.session.commit()
    except IntegrityError:  # a run of the same command recorded itself first, at the same moment
        db.session.rollback()
