"""With RATELIMIT_STORAGE_URI=redis://..., a limit counts requests of every app process together:
failed logins spread over two processes reach the limit as if they had hit one."""
import multiprocessing
import re
import socket
import uuid

import pytest

from tests.conftest import app_settings

REDIS = ("127.0.0.1", 6379)


def _redis_up():
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


def failed_logins(settings, count, results):
    """In a process of its own (an app server's worker): `count` wrong passwords; reports the statuses."""
    from marketplace import create_app

    client = create_app(settings).test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    statuses = [client.post("/login", data={"email": "shared-limit@example.com", "password": "wrong password",
                                            "csrf_token": token}).status_code for _ in range(count)]
    results.put(statuses)


def _run(settings, count):
    # Each worker is forked from one server process that has imported the marketplace once, instead of importing it
    # again for each worker as spawn does (seconds apiece); each is still a process of its own, as in gunicorn.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.test_shared_limits"])
    results = context.Queue()
    process = context.Process(target=failed_logins, args=(settings, count, results))
    process.start()
    statuses = results.get(timeout=120)
    process.join(30)
    return statuses


@pytest.mark.skipif(not _redis_up(), reason="needs the Redis server at 127.0.0.1:6379")
def test_a_login_limit_is_shared_by_two_processes(tmp_path, database_url):
    settings = {**app_settings(tmp_path, database_url), "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first = _run(settings, 3)
    second = _run(settings, 3)
    assert 429 not in first
    assert 429 not in second[:2] and second[2] == 429      # the 6th failure overall, in another process
    alone = _run({**settings, "RATELIMIT_STORAGE_URI": "memory://"}, 3)
    assert 429 not in alone                                    # in-process memory would not have stopped it
