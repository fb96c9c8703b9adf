"""Browser fixtures: the marketplace served for real on 127.0.0.1, and Debian's Chromium driven by Playwright.

Journeys live in tests/browser/test_<feature>_journey.py and are marked `@pytest.mark.browser`. They get:

- `live_server`: the app served by werkzeug in a background thread on a free port, on its own throw-away
  database (SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set) with every table and
  the categories; requests commit for real. It exposes `.url`, `.app`, and helpers that commit through the
  real services: `.make_user(role="buyer", email=None, password=TEST_PASSWORD)` and `.run(fn, *args)`
  (calls fn inside an app context and commits). The server is shared by the whole session: use unique
  emails and names (uuid) in every journey.
- pytest-playwright's `page`, `context`, `new_context(...)`, `browser`, with `base_url` pointing at the live
  server, so `page.goto("/login")` works, and an Indonesian browser (locale id-ID, Asia/Makassar); pass
  `new_context(locale="en-US")` for an English-speaking visitor.

Rate limits start afresh for every journey: every browser request comes from 127.0.0.1, and the journeys
of all features together would soon exceed "5 registrations a minute". (RATELIMIT_ENABLED=False would not
hold: every app of the test run shares Flask-Limiter's one Limiter, and the next app made sets it back.)
"""
import threading
import uuid

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db, limiter
from tests.browser import CHROMIUM, missing_browser
from tests.conftest import TEST_PASSWORD

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


def pytest_collection_modifyitems(config, items):
    """Skip the browser journeys, all with one reason, when there is no browser to drive."""
    reason = missing_browser()
    if reason:
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(pytest.mark.skip(reason=reason))


def _read_whole(app):
    """The app with each answer's body read whole before it is sent. werkzeug's server leaves a file being sent
    open when the browser drops the connection halfway (a page left before its icon came), and the unclosed
    file's warning fails whichever test is running then."""

    def serve(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return serve


class LiveServer:
    """The marketplace served over real HTTP in a background thread."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, _read_whole(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        app.config["SITE_URL"] = self.url  # links in emails and payment redirects come back here
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self):
        """Start answering requests."""
        self._thread.start()

    def stop(self):
        """Stop answering and release the database connections."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        with self.app.app_context():
            db.engine.dispose()

    def run(self, fn, *args, **kwargs):
        """Call fn inside an app context of the served app, commit, and return its result."""
        with self.app.app_context():
            result = fn(*args, **kwargs)
            db.session.commit()
            return result

    def emailed_link(self, email, path_prefix):
        """The path of the newest link starting with path_prefix in a mail to email (the .eml outbox)."""
        import email as email_parser
        import glob
        import os
        import re

        for name in sorted(glob.glob(os.path.join(self.app.config["MAIL_OUTBOX_DIR"], "*.eml")), reverse=True):
            with open(name, "rb") as handle:
                message = email_parser.message_from_binary_file(handle, policy=email_parser.policy.default)
            if message["To"] == email:
                found = re.search(rf"{re.escape(self.url)}({re.escape(path_prefix)}\S+)", message.get_content())
                if found:
                    return found.group(1)
        raise AssertionError(f"no mail to {email} with a {path_prefix} link")

    def make_user(self, role="buyer", email=None, password=TEST_PASSWORD, name="Tester Browser"):
        """Register a user through the accounts service; returns the email."""
        from marketplace.accounts import service

        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        return self.run(lambda: service.register_user(verified=True, email=email, name=name, phone="081234567890",
                                                      password=password, role=role).email)


def _prepare_database(app):
    from marketplace.catalogue.categories import ensure_categories

    with app.app_context():
        db.create_all()
        ensure_categories()
        db.session.commit()


@pytest.fixture(scope="session")
def live_server(server_database, tmp_path_factory):
    """The marketplace on http://127.0.0.1:<free port>, with its own database and files."""
    files = tmp_path_factory.mktemp("live-server")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": server_database(files),
        "SECRET_KEY": "browser-test-secret",
        "INSTANCE_PATH": str(files / "instance"),
        "MEDIA_ROOT": str(files / "media"),
        "MAIL_OUTBOX_DIR": str(files / "mail"),
        "SEARCH_INDEX_DIR": str(files / "search-index"),
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_TIME_COST": 1,
    })
    _prepare_database(app)
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each journey starts with no request counted against the rate limits."""
    limiter.reset()


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright's base URL: relative page.goto() paths go to the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A phone user in Kutai Kartanegara: Indonesian first, WITA clock."""
    return {**browser_context_args, "locale": "id-ID", "timezone_id": "Asia/Makassar"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless, with nothing that phones home."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def card_only_afterwards(live_server):
    """For a journey that switches bank transfer or QRIS on: afterwards the live server, shared by every journey
    of the run, offers cards only again, so that the journeys paying at the Stripe stand-in find no choice."""
    yield
    from marketplace.payments import transfer

    live_server.run(lambda: [transfer.set_method_enabled(method, False) for method in ("bank_transfer", "qris")])
