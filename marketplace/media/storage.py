"""Where image files live: a storage interface keyed by relative paths.

LocalStorage keeps files under one directory (MEDIA_STORAGE=local, one machine);
media.s3.S3Storage keeps them in an S3-compatible bucket with the same methods
(MEDIA_STORAGE=s3, any number of app servers).
"""
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app, url_for

# One path segment: letters, digits, "_", "-" and ".", never starting with a
# dot, so "..", "." and our own ".tmp-" files can never be named by a key.
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_TEMP_PREFIX = ".tmp-"


def check_key(key):
    """Return key if it is a safe relative path like "v/ab/abc-640.webp"; raise ValueError otherwise."""
    if not isinstance(key, str) or not key:
        raise ValueError("storage key must be a non-empty string")
    if not all(_SEGMENT.fullmatch(segment) for segment in key.split("/")):
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


class LocalStorage:
    """Files under one local directory, addressed by relative keys."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, key):
        """The local file path for key (used to serve the file)."""
        return self.root.joinpath(*check_key(key).split("/"))

    def save(self, key, data):
        """Write data under key atomically: readers see the old file or the new one, never half of it."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=target.parent)
        try:
            # mkstemp makes 0600 files; photos are public, and a web server in
            # front of MEDIA_ROOT may need to read them.
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "wb") as temp:
                temp.write(data)
                temp.flush()
                # Without fsync a crash could leave an empty file under a key
                # that then "exists" and would never be rewritten.
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def open(self, key):
        """The bytes stored under key; FileNotFoundError if there are none."""
        return self.path(key).read_bytes()

    def exists(self, key):
        """Whether a file is stored under key."""
        return self.path(key).is_file()

    def delete(self, key):
        """Remove the file under key; deleting a missing key is not an error."""
        self.path(key).unlink(missing_ok=True)

    def url(self, key):
        """Where browsers fetch a stored file: through this app's /media/ route."""
        return url_for("media.serve", key=check_key(key))

    def modified_at(self, key):
        """When the file under key was last written (aware UTC); FileNotFoundError if there is none."""
        return datetime.fromtimestamp(self.path(key).stat().st_mtime, tz=timezone.utc)

    def keys(self, prefix=""):
        """Iterate, in sorted order, over the stored keys that start with prefix."""
        folder = prefix.rpartition("/")[0]
        start = self.path(folder) if folder else self.root
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            relative = Path(dirpath).relative_to(self.root).as_posix()
            for name in sorted(filenames):
                if name.startswith(_TEMP_PREFIX):
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    yield key


def get_storage():
    """The storage configured for the current app (MEDIA_STORAGE: local under MEDIA_ROOT, or s3)."""
    config = current_app.config
    if config.get("MEDIA_STORAGE", "local") != "s3":
        return LocalStorage(config["MEDIA_ROOT"])
    settings = tuple(config.get(name) for name in ("MEDIA_S3_BUCKET", "MEDIA_S3_REGION", "MEDIA_S3_ENDPOINT_URL",
                                                   "MEDIA_PUBLIC_URL"))
    state = current_app.extensions.setdefault("pasar_media", {})
    if state.get("settings") != settings:   # a boto3 client costs tens of milliseconds: one per process
        from .s3 import S3Storage

        state["storage"], state["settings"] = S3Storage(*settings), settings
    return state["storage"]
