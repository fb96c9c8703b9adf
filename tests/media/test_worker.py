"""The photo child: photo work runs in a niced child process of its own, refusals come back in the requester's
language, and a child that dies is a clear refusal after which the next photo gets a new child."""
import os

import pytest

from marketplace.errors import InvalidInput
from marketplace.media import worker
from marketplace.media.service import process_upload
from marketplace.media.storage import LocalStorage
from tests.media import images


def test_photo_work_runs_in_a_child_process_at_a_lower_priority():
    assert worker.run(os.getpid) != os.getpid()
    assert worker.run(os.nice, 0) == min(19, os.nice(0) + worker.NICENESS)


@pytest.mark.parametrize("language, message", [
    (None, "Foto rusak atau tidak lengkap."),
    ("en", "The photo is damaged or incomplete."),
])
def test_a_refusal_made_in_the_child_is_in_the_requesters_language(app, tmp_path, language, message):
    data = images.truncated_jpeg(tmp_path).read_bytes()
    headers = {"Accept-Language": language} if language else {}
    with app.test_request_context(headers=headers), pytest.raises(InvalidInput) as refused:
        process_upload(data, LocalStorage(tmp_path / "media"))
    assert refused.value.message.startswith(message)
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.webp"))


def test_a_child_that_dies_is_a_clear_refusal_and_the_next_photo_gets_a_new_child():
    first = worker.run(os.getpid)
    with pytest.raises(worker.ChildFailed) as failed:
        worker.run(os._exit, 1)
    assert failed.value.message.startswith("Foto ini tidak dapat diolah.")
    assert failed.value.field == "photo"
    assert worker.run(os.getpid) not in (first, os.getpid())
