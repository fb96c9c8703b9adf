"""Fixtures for the producer pages: a logged-in producer with a shop, and a POST helper that carries CSRF."""
import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import csrf_token


@pytest.fixture
def producer(make_user):
    """A producer account (no shop yet)."""
    return make_user("producer")


@pytest.fixture
def shop(make_shop, producer):
    """The producer's shop."""
    return make_shop(owner=producer)


@pytest.fixture
def logged_in(auth, producer):
    """The producer, logged in through the real form."""
    auth.login(producer.email)
    return producer


def multipart(data):
    """A multipart/form-data body built in memory: values may be lists, files are (stream, filename) pairs.

    The test client would spool bodies over 500 KB to a temporary file that nobody closes."""
    fields = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                item = FileStorage(stream=item[0], filename=item[1], content_type="image/jpeg")
            fields.add(key, item)
    return encode_multipart(fields)


@pytest.fixture
def send(client):
    """POST a form like the browser does: send(path, data=None, token=True), with the page's CSRF token."""

    def post(path, data=None, token=True):
        data = dict(data or {})
        if token:
            data["csrf_token"] = csrf_token(client, "/login")
        boundary, body = multipart(data)
        return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")

    return post
