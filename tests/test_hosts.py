"""A forged Host or X-Forwarded-Host never becomes a link: emails, JSON and payment redirects use SITE_URL;
production answers only to its own host names, and a malformed Host is a 400, not a 500."""
import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.config import ConfigError
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import TEST_PASSWORD, app_settings

EVIL = "pasardesa-login.evil.example"


def forged_token(client, headers):
    """The CSRF token of the login form, read on the forged host."""
    import re

    html = client.get("/login", headers=headers).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def site(app):
    app.config["SITE_URL"] = "https://pasardesa.example"
    return app


def test_forged_host_never_reaches_the_shipping_email(site, client, make_user, make_shop, make_product,
                                                      make_order):
    producer = make_user("producer")
    product = make_product(shop=make_shop(owner=producer))
    part = make_order(lines=[(product, 1)]).shop_orders[0]
    forged = {"Host": EVIL, "X-Forwarded-Host": EVIL}  # the whole visit on the forged host, cookies included
    token = forged_token(client, forged)
    client.post("/login", data={"email": producer.email, "password": TEST_PASSWORD, "csrf_token": token},
                headers=forged)
    for action, data in (("accept", {}), ("ship", {"courier": "jne", "tracking_number": "JP12345678"})):
        response = client.post(f"/dashboard/orders/{part.id}/{action}",
                               data={**data, "csrf_token": forged_token(client, forged)}, headers=forged)
        assert response.status_code == 302, response.get_data(as_text=True)
    body = db.session.scalar(select(Notification.body).where(Notification.kind == "buyer_shipped"))
    assert f"https://pasardesa.example/orders/{part.order.code}" in body
    assert "evil" not in body


@pytest.mark.parametrize("headers", [{"Host": EVIL}, {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https"}])
def test_forged_host_never_reaches_the_search_api(site, client, make_product, headers):
    site.config["TRUSTED_PROXIES"] = 1
    product = make_product(title="Madu hutan kelulut")
    response = client.get("/api/v1/search?q=madu", headers=headers)
    items = response.get_json()["items"]
    assert items, "the listing should be found"
    for item in items:
        assert item["url"].startswith("https://pasardesa.example/toko/")
        assert item["image"] is None or item["image"].startswith("https://pasardesa.example/")
    assert product.slug in {item["slug"] for item in items}


def test_forwarded_host_is_not_believed_unless_configured(tmp_path, database_url, monkeypatch):
    from flask import request

    for trusted, expected in (("", "localhost"), ("1", EVIL)):
        monkeypatch.setenv("TRUSTED_PROXIES", "1")
        monkeypatch.setenv("TRUST_FORWARDED_HOST", trusted)
        app = create_app(app_settings(tmp_path, database_url))
        app.add_url_rule("/_host", "host", lambda: request.host)
        assert app.test_client().get("/_host", headers={"X-Forwarded-Host": EVIL}).get_data(as_text=True) == expected
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def production(monkeypatch, tmp_path, database_url):
    """make(**env): the app as production builds it; its database connections are closed afterwards."""
    apps = []

    def make(**env):
        for name, value in {"PRODUCTION": "1", "SECRET_KEY": "s", "STRIPE_SECRET_KEY": "sk_live_x",
                            "STRIPE_WEBHOOK_SECRET": "whsec_live_x", **env}.items():
            monkeypatch.setenv(name, value)
        settings = app_settings(tmp_path, database_url)
        settings.pop("SITE_URL")
        apps.append(create_app(settings))
        return apps[-1]

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_production_requires_site_url(production, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    with pytest.raises(ConfigError, match="SITE_URL"):
        production()


@pytest.mark.parametrize("value", ["pasardesa.id", "ftp://pasardesa.id", "https://"])
def test_site_url_must_be_an_absolute_web_address(production, value):
    with pytest.raises(ConfigError, match="SITE_URL"):
        production(SITE_URL=value)


def test_production_refuses_unknown_hosts(production):
    app = production(SITE_URL="https://pasardesa.id", TRUSTED_HOSTS="www.pasardesa.id")
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "pasardesa.id"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "www.pasardesa.id"}).status_code == 200
    for host in (EVIL, "pasardesa.id.evil.example"):
        response = client.get("/login", headers={"Host": host})
        assert response.status_code == 400
        assert EVIL not in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["a" * 300, "x" * 70 + ".example"])
def test_malformed_host_is_a_400(client, host):
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400
    assert "Permintaan tidak valid" in response.get_data(as_text=True)
