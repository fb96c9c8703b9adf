"""Fixtures of the notification tests: emails written under tmp_path, payments at the stand-in, a real local
SMTP server, and a committed database for concurrent senders."""
import pytest

from tests.notifications.helpers import Received, free_port
from tests.orders.helpers import committed_market


@pytest.fixture(autouse=True)
def mail_settings(request, tmp_path):
    """Emails go to tmp_path as .eml files, and payments to the local stand-in, whatever the environment says."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        app.config.update(MAIL_OUTBOX_DIR=str(tmp_path / "mail"), MAIL_SERVER="", MAIL_USE_TLS=False,
                          MAIL_USERNAME="", MAIL_PASSWORD="", MAIL_TIMEOUT_SECONDS=5,
                          STRIPE_SECRET_KEY=None, STRIPE_API_BASE=None, PRODUCTION=False,
                          STRIPE_WEBHOOK_SECRET="whsec_pasardesa_development")


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port: yields (port, Received)."""
    from aiosmtpd.controller import Controller

    received = Received()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, received
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def market(server_database, tmp_path_factory):
    """The app on a committed database of its own, for concurrent senders."""
    market = committed_market(server_database, tmp_path_factory)
    market.app.config.update(MAIL_OUTBOX_DIR=str(tmp_path_factory.mktemp("market-mail")), MAIL_SERVER="")
    yield market
    market.close()


@pytest.fixture
def make_product(make_product, app):
    """The shared make_product without the approval email it causes: these tests count the emails of orders.

    The listing is approved by an admin through the real service (which writes that email); the email is
    neither sent nor kept here. Listing emails have their own tests (tests/moderation/test_emails.py)."""
    from sqlalchemy import delete

    from marketplace.extensions import db
    from marketplace.notifications.models import Notification

    def make(*args, **kwargs):
        sending = app.config["NOTIFICATIONS_SEND_ON_COMMIT"]
        app.config["NOTIFICATIONS_SEND_ON_COMMIT"] = False
        try:
            product = make_product(*args, **kwargs)
        finally:
            app.config["NOTIFICATIONS_SEND_ON_COMMIT"] = sending
        db.session.execute(delete(Notification).where(Notification.kind.like("producer_listing_%")))
        db.session.commit()
        return product

    return make
