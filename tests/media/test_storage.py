"""LocalStorage: safe keys, atomic writes, listing."""
import os

import pytest
from flask import Flask

from marketplace.media import storage as storage_module
from marketplace.media.storage import LocalStorage, get_storage


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "media")


def test_save_open_exists_delete(storage):
    storage.save("v/ab/abc-640.webp", b"one")
    assert storage.exists("v/ab/abc-640.webp")
    assert storage.open("v/ab/abc-640.webp") == b"one"
    assert storage.path("v/ab/abc-640.webp") == storage.root / "v" / "ab" / "abc-640.webp"
    storage.save("v/ab/abc-640.webp", b"two")
    assert storage.open("v/ab/abc-640.webp") == b"two"
    storage.delete("v/ab/abc-640.webp")
    assert not storage.exists("v/ab/abc-640.webp")
    storage.delete("v/ab/abc-640.webp")  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        storage.open("v/ab/abc-640.webp")


def test_keys_lists_by_prefix_in_order(storage):
    for key in ("v/cd/c-320.webp", "m/ab/a.webp", "v/ab/b-640.webp", "v/ab/a-320.webp"):
        storage.save(key, b"x")
    assert list(storage.keys()) == ["m/ab/a.webp", "v/ab/a-320.webp", "v/ab/b-640.webp", "v/cd/c-320.webp"]
    assert list(storage.keys("v/")) == ["v/ab/a-320.webp", "v/ab/b-640.webp", "v/cd/c-320.webp"]
    assert list(storage.keys("v/ab/b")) == ["v/ab/b-640.webp"]
    assert list(storage.keys("x/")) == []


def test_keys_on_an_empty_storage(tmp_path):
    assert list(LocalStorage(tmp_path / "nothing-yet").keys("m/")) == []


@pytest.mark.parametrize("key", [
    "../secret.webp", "v/../../secret.webp", "v/ab/..", "..", "/etc/passwd", "//etc/passwd", "",
    "v//a.webp", "./a.webp", "v/./a.webp", ".hidden", "v/.tmp-abc", "v\\..\\a.webp", "C:/a.webp",
    "a\x00b.webp", "v/ab/", None,
])
def test_unsafe_keys_are_refused(key, storage, tmp_path):
    (tmp_path / "secret.webp").write_bytes(b"outside")
    for operation in (storage.path, storage.open, storage.exists, storage.delete,
                      lambda k: storage.save(k, b"x")):
        with pytest.raises(ValueError):
            operation(key)
    assert (tmp_path / "secret.webp").read_bytes() == b"outside"
    assert not storage.root.exists()


def test_save_replaces_the_file_in_one_step(storage, monkeypatch):
    """Until the new file is complete the old one is untouched, and the switch is one rename."""
    storage.save("m/ab/a.webp", b"old")
    renames = []
    real_replace = os.replace

    def checking_replace(source, target):
        assert storage.open("m/ab/a.webp") == b"old"  # nothing written into the target yet
        assert os.path.dirname(source) == os.path.dirname(target)  # same file system
        with open(source, "rb") as written:
            assert written.read() == b"new content"
        renames.append(target)
        real_replace(source, target)

    monkeypatch.setattr(storage_module.os, "replace", checking_replace)
    storage.save("m/ab/a.webp", b"new content")
    assert renames == [storage.path("m/ab/a.webp")]
    assert storage.open("m/ab/a.webp") == b"new content"


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary_file(storage, monkeypatch):
    storage.save("m/ab/a.webp", b"old")

    def full_disk(fd):
        raise OSError("No space left on device")

    monkeypatch.setattr(storage_module.os, "fsync", full_disk)
    with pytest.raises(OSError):
        storage.save("m/ab/a.webp", b"new")
    assert storage.open("m/ab/a.webp") == b"old"
    assert sorted(p.name for p in storage.path("m/ab/a.webp").parent.iterdir()) == ["a.webp"]


def test_saved_files_are_readable_by_a_web_server(storage):
    storage.save("m/ab/a.webp", b"x")
    assert storage.path("m/ab/a.webp").stat().st_mode & 0o044 == 0o044


def test_get_storage_uses_media_root(tmp_path):
    app = Flask(__name__)
    app.config["MEDIA_ROOT"] = str(tmp_path / "configured")
    with app.app_context():
        assert get_storage().root == tmp_path / "configured"


def test_modified_at_is_the_last_write_in_utc(storage):
    from datetime import datetime, timedelta, timezone

    storage.save("m/ab/x.webp", b"1")
    written = storage.modified_at("m/ab/x.webp")
    assert written.tzinfo is not None
    assert abs(written - datetime.now(timezone.utc)) < timedelta(minutes=1)
    with pytest.raises(FileNotFoundError):
        storage.modified_at("m/ab/missing.webp")
