"""Speaking to the offline API as the phone's script does: a fresh CSRF token, parts, forms with a key."""
import io
import os
import uuid

from PIL import Image

from marketplace.media.uploads import PART_BYTES


def fresh_token(client):
    """The CSRF token the phone fetches before sending."""
    response = client.get("/api/csrf-token")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["csrf_token"]


def new_key():
    """A random idempotency key or upload token, as the phone makes them."""
    return uuid.uuid4().hex


def upload(client, data, token=None, part_bytes=PART_BYTES, csrf=None):
    """Send data as a resumable upload, part after part; returns (upload token, the last answer)."""
    token = token or new_key()
    headers = {"X-CSRFToken": csrf or fresh_token(client)}
    answer = client.post(f"/api/uploads/{token}", json={"size": len(data)}, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    offset = answer.get_json()["offset"]
    while offset < len(data):
        answer = client.put(f"/api/uploads/{token}/parts/{offset}", data=data[offset:offset + part_bytes],
                            headers={**headers, "Content-Type": "application/octet-stream"})
        if answer.status_code != 200:
            return token, answer
        offset = answer.get_json()["offset"]
    return token, answer


def photo_bytes(size=(640, 480), colour=(180, 90, 20)):
    """A real JPEG of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def big_photo_bytes(minimum=2 * 1024 * 1024):
    """A real JPEG of noise, at least `minimum` bytes (noise does not compress)."""
    side = 1000
    while True:
        buffer = io.BytesIO()
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "JPEG", quality=95)
        if buffer.tell() >= minimum:
            return buffer.getvalue()
        side += 200
