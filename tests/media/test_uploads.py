"""Resumable photo uploads: parts in order from the confirmed offset, retries that store nothing twice,
assembly through the one photo pipeline, refusals that leave nothing, and the day-old clean-up."""
import io
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.media import worker
from marketplace.media.service import MAX_PHOTO_BYTES, master_key
from marketplace.media.storage import get_storage
from marketplace.media.uploads import PART_BYTES, PhotoUpload, PhotoUploadPart
from marketplace.models_base import utcnow
from tests.offline_helpers import big_photo_bytes, fresh_token, new_key, photo_bytes, upload


@pytest.fixture
def producer(make_user, auth):
    """A producer, logged in."""
    user = make_user("producer")
    auth.login(user.email)
    return user


def counts():
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(PhotoUpload)),
            db.session.scalar(select(func.count()).select_from(PhotoUploadPart)))


def test_a_photo_in_parts_arrives_whole_and_goes_through_the_pipeline(client, producer, app):
    data = big_photo_bytes()
    token, answer = upload(client, data)
    assert answer.status_code == 200
    status = answer.get_json()
    assert status["done"] and status["offset"] == len(data) > 8 * PART_BYTES
    row = db.session.scalar(select(PhotoUpload).where(PhotoUpload.token == token))
    assert get_storage().exists(master_key(row.content_hash))
    assert max(row.width, row.height) <= 2048
    assert counts()[1] == 0  # the parts are gone once the photo is whole


def test_a_part_sent_again_is_confirmed_not_stored_twice(client, producer):
    data = photo_bytes((1200, 900))
    token, csrf = new_key(), fresh_token(client)
    headers = {"X-CSRFToken": csrf}
    client.post(f"/api/uploads/{token}", json={"size": len(data)}, headers=headers)
    first = data[:1000]
    assert client.put(f"/api/uploads/{token}/parts/0", data=first, headers=headers).get_json()["offset"] == 1000
    again = client.put(f"/api/uploads/{token}/parts/0", data=first, headers=headers)
    assert again.status_code == 200 and again.get_json()["offset"] == 1000
    assert counts() == (1, 1)
    # A part from the wrong place says where to carry on.
    skipped = client.put(f"/api/uploads/{token}/parts/5000", data=data[5000:6000], headers=headers)
    assert skipped.status_code == 409 and skipped.get_json()["offset"] == 1000
    # Starting again under the same token reports the same upload, not a new one.
    restarted = client.post(f"/api/uploads/{token}", json={"size": len(data)}, headers=headers)
    assert restarted.get_json()["offset"] == 1000 and counts() == (1, 1)
    token, answer = upload(client, data, token=token)
    assert answer.get_json()["done"]


def test_a_file_that_is_not_a_photo_is_refused_whole_and_leaves_nothing(client, producer, app):
    token, answer = upload(client, b"<html><script>alert(1)</script></html>" * 100)
    assert answer.status_code == 422 and "Format foto tidak didukung" in answer.get_json()["error"]
    assert counts() == (0, 0)
    assert client.get(f"/api/uploads/{token}").status_code == 404


@pytest.mark.parametrize("body", [{"size": MAX_PHOTO_BYTES + 1}, {"size": 0}, {"size": "12"}, {"size": True}, {}])
def test_impossible_sizes_are_refused(client, producer, body):
    answer = client.post(f"/api/uploads/{new_key()}", json=body, headers={"X-CSRFToken": fresh_token(client)})
    assert answer.status_code == 422 and answer.get_json()["error"]
    assert counts() == (0, 0)


def test_oversized_parts_and_bad_tokens_are_refused(client, producer):
    csrf = fresh_token(client)
    token = new_key()
    client.post(f"/api/uploads/{token}", json={"size": PART_BYTES * 3}, headers={"X-CSRFToken": csrf})
    too_big = client.put(f"/api/uploads/{token}/parts/0", data=b"x" * (PART_BYTES + 1), headers={"X-CSRFToken": csrf})
    assert too_big.status_code == 422
    assert client.post("/api/uploads/short", json={"size": 10}, headers={"X-CSRFToken": csrf}).status_code == 422
    assert counts() == (1, 0)


def test_uploads_need_a_producer_session_and_csrf(client, make_user, auth):
    token = new_key()
    assert client.post(f"/api/uploads/{token}", json={"size": 10}).status_code in (400, 401)
    anonymous = client.get(f"/api/uploads/{token}")
    assert anonymous.status_code == 401 and anonymous.get_json()["login"] == "/login"
    auth.login(make_user("buyer").email)
    assert client.post(f"/api/uploads/{token}", json={"size": 10},
                       headers={"X-CSRFToken": fresh_token(client)}).status_code == 403
    assert counts() == (0, 0)


def test_another_producer_cannot_see_or_continue_an_upload(client, producer, make_user, auth, app):
    token, _answer = upload(client, photo_bytes(), part_bytes=100)
    auth.logout()
    auth.login(make_user("producer").email)
    assert client.get(f"/api/uploads/{token}").status_code == 404


def test_abandoned_uploads_are_discarded_after_a_day(client, producer, runner):
    data = photo_bytes((1200, 900))
    csrf = fresh_token(client)
    old, fresh = new_key(), new_key()
    for token in (old, fresh):
        client.post(f"/api/uploads/{token}", json={"size": len(data)}, headers={"X-CSRFToken": csrf})
        client.put(f"/api/uploads/{token}/parts/0", data=data[:500], headers={"X-CSRFToken": csrf})
    row = db.session.scalar(select(PhotoUpload).where(PhotoUpload.token == old))
    row.updated_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    result = runner.invoke(args=["media", "discard-abandoned-uploads"])
    assert "Discarded 1 abandoned uploads." in result.output
    assert counts() == (1, 1)
    assert client.get(f"/api/uploads/{fresh}").get_json()["offset"] == 500


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kill_once_busy(pid):
    """SIGKILL the process as soon as it has spent CPU (it is processing a photo)."""
    idle = _cpu_seconds(pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _cpu_seconds(pid) - idle < 0.05:
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)


def _large_png():
    """A 16 MP PNG: about a second of the child's CPU, small on the wire (a gradient)."""
    gradient = Image.linear_gradient("L").resize((4000, 4000))
    buffer = io.BytesIO()
    Image.merge("RGB", (gradient, gradient.rotate(90), gradient)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _whole_but_unfinished(client):
    """(data, token, answer) of an upload whose last part arrived while its photo child was killed."""
    data = _large_png()
    child = worker.run(os.getpid)
    killer = threading.Thread(target=_kill_once_busy, args=(child,))
    killer.start()
    token, answer = upload(client, data)
    killer.join()
    assert answer.status_code == 503
    return data, token, answer


def test_a_photo_child_that_dies_keeps_the_file_whole_for_the_last_part_sent_again(client, producer):
    data, token, answer = _whole_but_unfinished(client)
    assert answer.get_json()["error"].startswith("Foto ini tidak dapat diolah.")
    assert answer.get_json()["offset"] == len(data) and not answer.get_json()["done"]
    assert counts()[0] == 1 and not db.session.scalar(select(PhotoUpload)).is_done
    assert not any(get_storage().keys("m/"))  # nothing stored
    last = (len(data) - 1) // PART_BYTES * PART_BYTES
    again = client.put(f"/api/uploads/{token}/parts/{last}", data=data[last:],
                       headers={"X-CSRFToken": fresh_token(client), "Content-Type": "application/octet-stream"})
    assert again.status_code == 200 and again.get_json()["done"]
    assert counts() == (1, 0)


def test_a_phone_that_finds_the_file_whole_but_unfinished_finishes_it_with_the_empty_part_at_its_end(client,
                                                                                                     producer):
    """A page reloaded while its last part was in the pipeline asks where to carry on: at the end, so the slice
    it sends is empty. That finishes the photo instead of refusing the draft."""
    data, token, _answer = _whole_but_unfinished(client)
    headers = {"X-CSRFToken": fresh_token(client)}
    status = client.post(f"/api/uploads/{token}", json={"size": len(data)}, headers=headers).get_json()
    assert status["offset"] == len(data) and not status["done"]
    rest = data[status["offset"]:status["offset"] + status["part_bytes"]]  # the phone's slice: nothing
    finished = client.put(f"/api/uploads/{token}/parts/{status['offset']}", data=rest,
                          headers={**headers, "Content-Type": "application/octet-stream"})
    assert finished.status_code == 200 and finished.get_json()["done"]
    assert counts() == (1, 0)
