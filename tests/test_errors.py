"""Error pages in both languages, the 500 handler's rollback, oversize bodies, JSON errors under /api/."""
import http.client
import io
import threading
import uuid

import pytest
from flask import abort
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from marketplace import create_app

from marketplace.accounts import service as accounts
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.security import CONTENT_SECURITY_POLICY
from tests.conftest import TEST_PASSWORD, Auth, app_settings, csrf_token


TITLES = {
    "id": {400: "Permintaan tidak valid", "csrf": "Formulir kedaluwarsa", 403: "Akses ditolak",
           404: "Halaman tidak ditemukan", 405: "Metode tidak diizinkan", 413: "Berkas terlalu besar",
           429: "Terlalu banyak percobaan", 500: "Terjadi kesalahan"},
    # Needs the English catalogue (marketplace/translations/en), filled in by the lead at the end:
    # these are the translations of the Indonesian titles above, exactly.
    "en": {400: "Bad request", "csrf": "Form expired", 403: "Access denied", 404: "Page not found",
           405: "Method not allowed", 413: "File too large", 429: "Too many attempts",
           500: "Something went wrong"},
}


@pytest.fixture(scope="module")
def module_app(database_url, tmp_path_factory):
    """An app of the module's own, with routes that fail on purpose (routes that an app which has served requests,
    as the run's shared one has, cannot take), made once for the module instead of once per test."""
    from tests.conftest import _test_app

    built = _test_app(app_settings(tmp_path_factory.mktemp("errors"), database_url))
    add_failing_routes(built)
    yield built
    with built.app_context():
        db.engine.dispose()


@pytest.fixture
def app(module_app, tmp_path):
    """The module's app as a new one would be (files in tmp_path, caches and limits empty), every database change
    of the test rolled back."""
    from tests.conftest import _fresh_state, _rolled_back

    with _fresh_state(module_app, tmp_path), module_app.app_context(), _rolled_back():
        yield module_app


@pytest.fixture
def error_app(app):
    """The app with routes that fail on purpose, and exceptions turned into 500 pages as in production."""
    return app


def add_failing_routes(app):
    """Routes that fail on purpose, and exceptions turned into 500 pages as in production."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def bad_request():
        abort(400)

    def write_then_fail():
        db.session.add(User(email="ghost@example.com", name="Ghost", phone="", role="buyer",
                            password_hash="x"))
        db.session.flush()
        raise RuntimeError("a bug after writing")

    def break_the_transaction():
        # Same email twice: the flush fails and leaves the session unusable until rolled back.
        email = f"twice-{uuid.uuid4().hex[:6]}@example.com"
        for _ in range(2):
            db.session.add(User(email=email, name="Twice", phone="", role="buyer", password_hash="x"))
        db.session.flush()

    app.add_url_rule("/test/bad-request", view_func=bad_request)
    app.add_url_rule("/test/write-then-fail", view_func=write_then_fail)
    app.add_url_rule("/test/break-the-transaction", view_func=break_the_transaction)
    app.add_url_rule("/api/test/write-then-fail", endpoint="api_fail", view_func=write_then_fail)
    app.add_url_rule("/api/test/post-only", endpoint="api_post_only", view_func=lambda: "ok", methods=["POST"])
    return app


def too_many_failed_logins(client, lang):
    """Six failed logins in a row from one address."""
    token = csrf_token(client, "/login")
    for _ in range(6):
        response = client.post(f"/login?lang={lang}", data={"email": "x@example.com", "password": "wrong!!!!!",
                                                             "csrf_token": token})
    return response


def buyer_opens_dashboard(client, lang, make_user):
    Auth(client).login(make_user("buyer").email)
    return client.get(f"/dashboard?lang={lang}")


TRIGGERS = {
    400: lambda client, lang, make_user: client.get(f"/test/bad-request?lang={lang}"),
    "csrf": lambda client, lang, make_user: client.post(f"/login?lang={lang}", data={"email": "a@example.com"}),
    403: buyer_opens_dashboard,
    404: lambda client, lang, make_user: client.get(f"/no-such-page?lang={lang}"),
    405: lambda client, lang, make_user: client.get(f"/logout?lang={lang}"),
    413: lambda client, lang, make_user: client.post(f"/login?lang={lang}", data={"email": "x" * (17 << 20)}),
    429: lambda client, lang, make_user: too_many_failed_logins(client, lang),
    500: lambda client, lang, make_user: client.get(f"/test/write-then-fail?lang={lang}"),
}


def assert_error_page(response, status, lang):
    """A full HTML page in the language asked for, with the security headers."""
    body = response.get_data(as_text=True)
    assert response.status_code == (400 if status == "csrf" else status)
    assert response.mimetype == "text/html"
    assert f'<html lang="{lang}">' in body
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'href="/"' in body  # a way back home
    title = TITLES[lang][status]
    assert f"<h1>{title}</h1>" in body, f"title {title!r} missing"  # lang "en" needs the English catalogue
    assert "Traceback" not in body and "RuntimeError" not in body


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("status", list(TRIGGERS), ids=str)
def test_error_pages_in_both_languages(error_app, make_user, status, lang):
    response = TRIGGERS[status](error_app.test_client(), lang, make_user)
    assert_error_page(response, status, lang)


def test_405_says_which_methods_are_allowed(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_429_says_when_to_retry(client):
    response = too_many_failed_logins(client, "id")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_500_rolls_the_session_back(error_app):
    response = error_app.test_client().get("/test/write-then-fail")
    assert response.status_code == 500
    assert accounts.find_user_by_email("ghost@example.com") is None


def test_500_page_renders_after_a_failed_flush(error_app, make_user):
    """Without the rollback, rendering the page (which loads the logged-in user) would fail again."""
    user = make_user(name="Ibu Warti")
    client = error_app.test_client()
    Auth(client).login(user.email, TEST_PASSWORD)
    response = client.get("/test/break-the-transaction")
    assert_error_page(response, 500, "id")
    assert "Ibu Warti" in response.get_data(as_text=True)  # the header still knows who is logged in
    assert db.session.query(User).filter(User.name == "Twice").count() == 0


class ChunkedBody:
    """A request body of unknown length, read as a server would pass a chunked upload on; counts what is read."""

    def __init__(self, total, head=b""):
        self.head = head
        self.left = total - len(head)
        self.read_bytes = 0

    def read(self, size=-1):
        size = self.left + len(self.head) if size is None or size < 0 else size
        chunk, self.head = self.head[:size], self.head[size:]
        filler = min(size - len(chunk), self.left, 1 << 20)
        chunk += b"a" * filler
        self.left -= filler
        self.read_bytes += len(chunk)
        return chunk

    def readinto(self, buffer):
        chunk = self.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


MULTIPART = "multipart/form-data; boundary=xyz"
MULTIPART_HEAD = (b'--xyz\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n'
                  b"Content-Type: image/jpeg\r\n\r\n")


def post_without_content_length(app, path, body, content_type="application/x-www-form-urlencoded"):
    """POST `body` with Transfer-Encoding: chunked and no Content-Length, as a WSGI server hands it over."""
    environ = EnvironBuilder(path=path, method="POST", headers={"Transfer-Encoding": "chunked"}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["CONTENT_TYPE"] = content_type
    environ["wsgi.input"] = body
    # Set by servers that de-chunk the body (werkzeug's, gunicorn): "read until the stream ends".
    environ["wsgi.input_terminated"] = True
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), b"".join(app_iter).decode()


@pytest.mark.parametrize("content_type, head", [("application/x-www-form-urlencoded", b"email="),
                                                (MULTIPART, MULTIPART_HEAD)], ids=["urlencoded", "multipart"])
@pytest.mark.parametrize("path", ["/login", "/register", "/api/test/post-only"])
def test_413_for_an_oversize_body_without_content_length(error_app, path, content_type, head):
    limit = error_app.config["MAX_CONTENT_LENGTH"]
    body = ChunkedBody(4 * limit, head)
    status, _html = post_without_content_length(error_app, path, body, content_type)
    assert status == 413
    assert body.read_bytes <= limit + (1 << 20), "kept reading past the limit"


def test_oversize_body_to_an_unknown_address_is_not_read(error_app):
    body = ChunkedBody(4 * error_app.config["MAX_CONTENT_LENGTH"], b"email=")
    status, _html = post_without_content_length(error_app, "/no-such-page", body)
    assert status == 404 and body.read_bytes == 0


def test_413_page_without_content_length_is_the_error_page(error_app):
    status, html = post_without_content_length(error_app, "/login?lang=id", ChunkedBody(17 << 20))
    assert status == 413 and "<h1>Berkas terlalu besar</h1>" in html


def test_body_under_the_limit_without_content_length_is_read(error_app):
    """A small chunked form reaches the CSRF check, so the 413 above is about size only."""
    status, html = post_without_content_length(error_app, "/login", ChunkedBody(1 << 20, b"email="))
    assert status == 400 and "kedaluwarsa" in html
    photo = ChunkedBody(len(MULTIPART_HEAD) + (1 << 20), MULTIPART_HEAD)
    body = io.BytesIO(photo.read() + b"\r\n--xyz--\r\n")
    status, html = post_without_content_length(error_app, "/login", body, MULTIPART)
    assert status == 400 and "kedaluwarsa" in html


@pytest.mark.parametrize("path, method, status", [
    ("/api/no-such-thing", "GET", 404),
    ("/api/test/post-only", "GET", 405),
    ("/api/test/post-only", "POST", 400),  # no CSRF token
    ("/api/test/write-then-fail", "GET", 500),
])
def test_json_errors_under_api(error_app, path, method, status):
    response = error_app.test_client().open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_json_error_follows_the_language(error_app):
    indonesian = error_app.test_client().get("/api/no-such-thing").get_json()["error"]
    assert "Halaman" in indonesian
    english = error_app.test_client().get("/api/no-such-thing?lang=en").get_json()["error"]
    assert english != indonesian  # needs the English catalogue


def test_json_errors_when_asked_for_json(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert client.get("/no-such-page", headers={"Accept": "text/html,*/*"}).mimetype == "text/html"


@pytest.fixture
def served_app(tmp_path, database_url):
    """The app behind werkzeug's real HTTP server, which de-chunks request bodies."""
    app = create_app(app_settings(tmp_path, database_url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def test_413_for_a_real_chunked_upload(served_app):
    def body():
        yield b"email="
        for _ in range(40):
            yield b"a" * (1 << 20)

    connection = http.client.HTTPConnection("127.0.0.1", served_app, timeout=60)
    try:
        connection.request("POST", "/login", body=body(), encode_chunked=True,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        assert response.status == 413
        assert "<h1>Berkas terlalu besar</h1>" in response.read().decode()
    finally:
        connection.close()
