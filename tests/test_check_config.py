"""`flask check-config`, and production refusing per-worker rate limits with several workers."""
import pytest

from marketplace import create_app
from marketplace.config import ConfigError, gunicorn_workers

PRODUCTION_ENV = {"PRODUCTION": "1", "SECRET_KEY": "a-production-secret-of-some-length",
                  "STRIPE_SECRET_KEY": "sk_live_example", "STRIPE_WEBHOOK_SECRET": "whsec_live_example",
                  "SITE_URL": "https://pasardesa.example"}


@pytest.fixture
def production(app, monkeypatch):
    """The test app as production would run it, with SITE_URL set and a trusted proxy."""
    monkeypatch.setenv("SITE_URL", "https://pasardesa.example")
    app.config.update(PRODUCTION=True, SITE_URL="https://pasardesa.example", TRUSTED_PROXIES=1,
                      STRIPE_SECRET_KEY="sk_live_example", MAIL_PASSWORD="smtp-pass-123", METRICS_TOKEN="tok-987")
    return app


def test_prints_every_setting_with_secrets_masked(app, runner):
    app.config.update(MAIL_PASSWORD="smtp-pass-123", METRICS_TOKEN="tok-987",
                      RATELIMIT_STORAGE_URI="redis://:redis-pass-456@127.0.0.1:6379/15")
    result = runner.invoke(args=["check-config"])
    assert result.exit_code == 0, result.output
    assert "SITE_URL = http://" in result.output and "PLATFORM_FEE_PERCENT = 5" in result.output
    assert "SECRET_KEY = (set)" in result.output and "MAIL_PASSWORD = (set)" in result.output
    assert "RATELIMIT_STORAGE_URI = redis://:***@127.0.0.1:6379/15" in result.output
    for secret in (app.config["SECRET_KEY"], app.config["STRIPE_WEBHOOK_SECRET"], "smtp-pass-123", "tok-987",
                   "redis-pass-456"):
        assert secret not in result.output
    assert result.output.rstrip().endswith("OK")


def test_database_password_is_masked(app, runner):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://market:db-pass-789@db.example.com/pasar"
    from marketplace.checks import shown

    assert shown("SQLALCHEMY_DATABASE_URI", app.config["SQLALCHEMY_DATABASE_URI"]) == \
        "postgresql+psycopg://market:***@db.example.com/pasar"


def test_production_is_ok_with_shared_rate_limits(production, runner):
    production.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/15"
    result = runner.invoke(args=["check-config", "--workers", "4"])
    assert result.exit_code == 0, result.output


def test_memory_rate_limits_with_several_workers_fail(production, runner):
    result = runner.invoke(args=["check-config", "--workers", "4"])
    assert result.exit_code == 1
    assert "FAIL: RATELIMIT_STORAGE_URI is memory:// with 4 workers" in result.output
    assert runner.invoke(args=["check-config", "--workers", "1"]).exit_code == 0


def test_missing_site_url_fails_in_production(production, runner, monkeypatch):
    monkeypatch.delenv("SITE_URL")
    result = runner.invoke(args=["check-config"])
    assert result.exit_code == 1 and "FAIL: SITE_URL is not set" in result.output


def test_unreachable_redis_fails(app, runner):
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    result = runner.invoke(args=["check-config"])
    assert result.exit_code == 1 and "FAIL: the rate-limit storage redis://127.0.0.1:1/0 does not answer" in result.output


def test_unreachable_database_fails(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db", "SECRET_KEY": "x",
                      "STRIPE_WEBHOOK_SECRET": "whsec_x", "INSTANCE_PATH": str(tmp_path / "instance")})
    result = app.test_cli_runner().invoke(args=["check-config"])
    assert result.exit_code == 1 and "FAIL: the database does not answer: OperationalError" in result.output


@pytest.mark.parametrize("env, workers", [({}, 1), ({"WEB_CONCURRENCY": "4"}, 4), ({"WEB_CONCURRENCY": "x"}, 1),
                                          ({"GUNICORN_CMD_ARGS": "-b 127.0.0.1:8000 -w 3"}, 3),
                                          ({"GUNICORN_CMD_ARGS": "--workers=5", "WEB_CONCURRENCY": "2"}, 5)])
def test_gunicorn_workers_are_read_as_gunicorn_reads_them(env, workers):
    assert gunicorn_workers(env) == workers


@pytest.mark.parametrize("storage, workers, refused", [("memory://", "4", True), ("memory://", "1", False),
                                                       ("redis://127.0.0.1:6379/0", "4", False)])
def test_production_with_several_workers_refuses_memory_rate_limits(monkeypatch, tmp_path, storage, workers, refused):
    for name, value in {**PRODUCTION_ENV, "RATELIMIT_STORAGE_URI": storage, "WEB_CONCURRENCY": workers}.items():
        monkeypatch.setenv(name, value)
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "INSTANCE_PATH": str(tmp_path)}
    if refused:
        with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
            create_app(settings)
    else:
        assert create_app(settings).config["PRODUCTION"] is True
