"""Settings come from the environment (the README's table), with safe defaults and clear refusals."""
import importlib
import os
from datetime import datetime, timezone

import pytest

from marketplace import create_app
from marketplace.config import ConfigError
from marketplace.i18n import wita
from tests.conftest import app_settings

SETTINGS = ["DATABASE_URL", "SECRET_KEY", "MEDIA_ROOT", "SEARCH_INDEX_DIR", "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "PLATFORM_FEE_PERCENT", "RATELIMIT_STORAGE_URI",
            "SITE_NAME", "DISPLAY_TIMEZONE", "PRODUCTION", "FLASK_ENV", "ARGON2_MEMORY_KIB", "ARGON2_TIME_COST",
            "SITE_URL", "TRUSTED_HOSTS", "TRUST_FORWARDED_HOST", "TRUSTED_PROXIES"]


@pytest.fixture
def clean_env(monkeypatch):
    """No marketplace setting in the environment."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env):
    app = create_app()
    instance = app.instance_path
    config = app.config
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{os.path.join(instance, 'marketplace.db')}"
    assert config["MEDIA_ROOT"] == os.path.join(instance, "media")
    assert config["SEARCH_INDEX_DIR"] == os.path.join(instance, "search-index")
    assert config["STRIPE_SECRET_KEY"] is None
    assert config["STRIPE_WEBHOOK_SECRET"]
    assert config["PLATFORM_FEE_PERCENT"] == 5
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SITE_NAME"] == "Pasar Desa"
    assert config["DISPLAY_TIMEZONE"] == "Asia/Makassar"
    assert config["BABEL_DEFAULT_LOCALE"] == "id"
    assert (config["ARGON2_MEMORY_KIB"], config["ARGON2_TIME_COST"]) == (19456, 2)
    assert config["PRODUCTION"] is False and config["SESSION_COOKIE_SECURE"] is False
    assert config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


@pytest.mark.parametrize("variable, value, key, expected", [
    ("DATABASE_URL", "postgresql+psycopg://market:pw@db.example.com/pasar", "SQLALCHEMY_DATABASE_URI",
     "postgresql+psycopg://market:pw@db.example.com/pasar"),
    ("SECRET_KEY", "from-the-environment", "SECRET_KEY", "from-the-environment"),
    ("MEDIA_ROOT", "/srv/pasar/media", "MEDIA_ROOT", "/srv/pasar/media"),
    ("SEARCH_INDEX_DIR", "/srv/pasar/index", "SEARCH_INDEX_DIR", "/srv/pasar/index"),
    ("STRIPE_SECRET_KEY", "sk_test_123", "STRIPE_SECRET_KEY", "sk_test_123"),
    ("STRIPE_WEBHOOK_SECRET", "whsec_abc", "STRIPE_WEBHOOK_SECRET", "whsec_abc"),
    ("STRIPE_API_BASE", "http://127.0.0.1:12111", "STRIPE_API_BASE", "http://127.0.0.1:12111"),
    ("PLATFORM_FEE_PERCENT", "7", "PLATFORM_FEE_PERCENT", 7),
    ("RATELIMIT_STORAGE_URI", "memory://", "RATELIMIT_STORAGE_URI", "memory://"),
    ("SITE_NAME", "Pasar Kukar", "SITE_NAME", "Pasar Kukar"),
    ("DISPLAY_TIMEZONE", "Asia/Jakarta", "DISPLAY_TIMEZONE", "Asia/Jakarta"),
    ("ARGON2_MEMORY_KIB", "65536", "ARGON2_MEMORY_KIB", 65536),
    ("ARGON2_TIME_COST", "3", "ARGON2_TIME_COST", 3),
])
def test_each_setting_is_read_from_the_environment(clean_env, variable, value, key, expected):
    clean_env.setenv(variable, value)
    assert create_app().config[key] == expected


@pytest.mark.parametrize("variable, value", [("PRODUCTION", "1"), ("PRODUCTION", "yes"),
                                             ("FLASK_ENV", "production")])
def test_production_switch(clean_env, variable, value):
    clean_env.setenv(variable, value)
    clean_env.setenv("SECRET_KEY", "s3cret")
    clean_env.setenv("STRIPE_SECRET_KEY", "sk_live_example")
    clean_env.setenv("STRIPE_WEBHOOK_SECRET", "whsec_live_example")
    clean_env.setenv("SITE_URL", "https://pasardesa.id")
    config = create_app().config
    assert config["PRODUCTION"] is True
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize("value", ["0", "no", "", "development"])
def test_not_production(clean_env, value):
    clean_env.setenv("PRODUCTION", value)
    assert create_app().config["PRODUCTION"] is False


def test_test_config_wins_over_the_environment(clean_env):
    clean_env.setenv("SITE_NAME", "From env")
    assert create_app({"SITE_NAME": "From test"}).config["SITE_NAME"] == "From test"


@pytest.mark.parametrize("variable, value", [
    ("PLATFORM_FEE_PERCENT", "five"), ("PLATFORM_FEE_PERCENT", "-1"), ("PLATFORM_FEE_PERCENT", "101"),
    ("PLATFORM_FEE_PERCENT", "2.5"), ("ARGON2_MEMORY_KIB", "lots"), ("ARGON2_MEMORY_KIB", "0"),
    ("ARGON2_TIME_COST", "0"), ("DISPLAY_TIMEZONE", "Mars/Olympus"), ("DISPLAY_TIMEZONE", "../../etc/passwd"),
])
def test_bad_settings_refuse_to_start_with_a_clear_message(clean_env, variable, value):
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        create_app()


def test_site_name_is_shown(clean_env, tmp_path, database_url):
    clean_env.setenv("SITE_NAME", "Pasar Kukar")
    settings = app_settings(tmp_path, database_url)
    app = create_app(settings)
    body = app.test_client().get("/login").get_data(as_text=True)
    assert ">Pasar Kukar</a>" in body and "<title>Masuk · Pasar Kukar</title>" in body


def test_display_timezone_moves_the_clock(clean_env):
    clean_env.setenv("DISPLAY_TIMEZONE", "Asia/Jakarta")
    app = create_app()
    with app.test_request_context("/"):
        shown = wita(datetime(2026, 8, 17, 1, 0, tzinfo=timezone.utc))
    assert shown.startswith("17 Agu 2026, 08.00") and "WITA" not in shown


def test_wsgi_exposes_the_app(clean_env):
    import wsgi

    module = importlib.reload(wsgi)
    assert module.app.name == "marketplace"
    assert module.app.config["PRODUCTION"] is False


@pytest.mark.parametrize("missing, message", [("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY"),
                                              ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET")])
def test_production_refuses_to_start_without_real_stripe_settings(clean_env, missing, message):
    """Production never falls back to the local Stripe stand-in or its well-known webhook secret."""
    for name, value in (("PRODUCTION", "1"), ("SECRET_KEY", "s3cret"), ("STRIPE_SECRET_KEY", "sk_live_example"),
                        ("STRIPE_WEBHOOK_SECRET", "whsec_live_example"), ("SITE_URL", "https://pasardesa.id")):
        if name != missing:
            clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


@pytest.mark.own_app
def test_forwarded_address_is_believed_only_from_trusted_proxies(app):
    """Rate limits count per client: a forged X-Forwarded-For must not pick someone else's bucket."""
    from flask import request

    @app.route("/_whoami")
    def whoami():
        return request.remote_addr

    forged = {"X-Forwarded-For": "203.0.113.9"}
    assert app.test_client().get("/_whoami", headers=forged, environ_base={"REMOTE_ADDR": "10.0.0.1"}).text == "10.0.0.1"
    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1})
    proxied.add_url_rule("/_whoami", view_func=whoami)
    response = proxied.test_client().get("/_whoami", headers=forged, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.text == "203.0.113.9"


def test_development_webhook_secret_is_made_per_instance(clean_env, tmp_path):
    """The stand-in's signing secret is this instance's own: the once-public development value verifies nothing."""
    import json
    import stat

    from marketplace.payments import standin, webhooks

    first = create_app({"INSTANCE_PATH": str(tmp_path / "one")})
    again = create_app({"INSTANCE_PATH": str(tmp_path / "one")})
    other = create_app({"INSTANCE_PATH": str(tmp_path / "two")})
    secret = first.config["STRIPE_WEBHOOK_SECRET"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert again.config["STRIPE_WEBHOOK_SECRET"] == secret != other.config["STRIPE_WEBHOOK_SECRET"]
    assert stat.S_IMODE((tmp_path / "one" / "stripe-webhook-secret").stat().st_mode) == 0o600
    payload = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "object": "event"}).encode()
    with first.app_context():
        assert webhooks.verify(payload, standin.sign(payload, secret))["id"] == "evt_1"
        for wrong in ("whsec_pasardesa_development", other.config["STRIPE_WEBHOOK_SECRET"]):
            with pytest.raises(webhooks.BadWebhook):
                webhooks.verify(payload, standin.sign(payload, wrong))


def test_a_kept_secret_that_was_emptied_stops_the_start(clean_env, tmp_path):
    (tmp_path / "secret-key").write_text("")
    with pytest.raises(ConfigError, match="secret-key"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
