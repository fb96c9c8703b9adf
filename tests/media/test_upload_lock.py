"""While the last part of a resumable upload is being processed, no database write lock is held: on SQLite,
where every POST or PUT takes the one write lock at its first query, a buyer's checkout could otherwise not
begin until the photo was done."""
import io
import os
import re
import sqlite3
import threading
import time

import pytest
from PIL import Image
from sqlalchemy.engine import make_url

from marketplace.media import worker
from marketplace.media.uploads import PART_BYTES
from tests.conftest import TEST_PASSWORD
from tests.offline_helpers import fresh_token, new_key
from tests.orders.helpers import committed_market


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    market = committed_market(server_database, tmp_path_factory)
    yield market
    market.close()


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _large_png():
    """A 16 MP PNG: seconds of the child's CPU, small on the wire (a gradient)."""
    gradient = Image.linear_gradient("L").resize((4000, 4000))
    buffer = io.BytesIO()
    Image.merge("RGB", (gradient, gradient.rotate(90), gradient)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _logged_in_producer(market):
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    user_id = market.make_user("producer")
    email = market.run(lambda: db.session.get(User, user_id).email)
    client = market.app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert client.post("/login", data={"email": email, "password": TEST_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    return client


def test_no_write_lock_is_held_while_the_last_part_is_processed(market):
    if not market.app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's single write lock; PostgreSQL locks rows")
    client, data, token = _logged_in_producer(market), _large_png(), new_key()
    csrf = fresh_token(client)
    assert client.post(f"/api/uploads/{token}", json={"size": len(data)},
                       headers={"X-CSRFToken": csrf}).status_code == 200
    headers = {"X-CSRFToken": csrf, "Content-Type": "application/octet-stream"}
    last = (len(data) - 1) // PART_BYTES * PART_BYTES
    for offset in range(0, last, PART_BYTES):
        assert client.put(f"/api/uploads/{token}/parts/{offset}", data=data[offset:offset + PART_BYTES],
                          headers=headers).status_code == 200
    child = worker.run(os.getpid)
    idle, answer = _cpu_seconds(child), {}
    sender = threading.Thread(target=lambda: answer.update(
        last=client.put(f"/api/uploads/{token}/parts/{last}", data=data[last:], headers=headers)))
    sender.start()
    try:
        deadline = time.monotonic() + 120
        while _cpu_seconds(child) - idle < 0.05 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert sender.is_alive(), "the photo was processed before it could be watched"
        # Another writer (a buyer's checkout) takes the write lock at once, without waiting.
        buyer = sqlite3.connect(make_url(market.url).database, timeout=0, isolation_level=None)
        try:
            buyer.execute("BEGIN IMMEDIATE")
            buyer.execute("ROLLBACK")
        finally:
            buyer.close()
    finally:
        sender.join(120)
    assert answer["last"].status_code == 200 and answer["last"].get_json()["done"]
