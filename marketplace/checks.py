"""`flask check-config`: every setting in effect (secrets masked), and what will not work in production."""
import os
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from .config import gunicorn_workers
from .extensions import db

# Shown as set or not, never their value.
SECRETS = ("SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "MAIL_PASSWORD", "METRICS_TOKEN")
SHOWN = ("PRODUCTION", "SITE_URL", "SITE_NAME", "SQLALCHEMY_DATABASE_URI", "RATELIMIT_STORAGE_URI", "TRUSTED_PROXIES",
         "SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "PLATFORM_FEE_PERCENT",
         "MEDIA_ROOT", "SEARCH_INDEX_DIR", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME",
         "MAIL_PASSWORD", "MAIL_FROM", "MAIL_OUTBOX_DIR", "NOTIFICATIONS_SEND_ON_COMMIT", "DISPLAY_TIMEZONE",
         "HOME_PAGE_CACHE_SECONDS", "ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "LOG_FORMAT", "LOG_LEVEL",
         "METRICS_ALLOW", "METRICS_TOKEN")


def shown(name, value):
    """A setting as printed: secrets as set/unset, passwords in URLs masked."""
    if name in SECRETS:
        return "(set)" if value else "(not set)"
    if name == "SQLALCHEMY_DATABASE_URI":
        return make_url(value).render_as_string(hide_password=True)
    if name.endswith("_URI") and value:
        return _mask_url(value)
    if name == "METRICS_ALLOW":
        return ",".join(str(network) for network in value)
    return value


def _mask_url(value):
    parts = urlsplit(value)
    if parts.password:
        return value.replace(f":{parts.password}@", ":***@", 1)
    return value


def problems(config, workers):
    """What will not work: (level, message) pairs, level 'FAIL' (stops production) or 'WARN'."""
    found = []
    production = config["PRODUCTION"]
    storage = config["RATELIMIT_STORAGE_URI"]
    if production and storage.startswith("memory://") and workers > 1:
        found.append(("FAIL", f"RATELIMIT_STORAGE_URI is memory:// with {workers} workers: each counts alone, so "
                              "every limit is multiplied; use redis://..."))
    if production and "SITE_URL" not in os.environ:
        found.append(("FAIL", "SITE_URL is not set: links in emails would point at http://127.0.0.1:5000."))
    elif production and not config["SITE_URL"].startswith("https://"):
        found.append(("WARN", f"SITE_URL {config['SITE_URL']} is not https://."))
    if production and not config["TRUSTED_PROXIES"]:
        found.append(("WARN", "TRUSTED_PROXIES is 0: behind a reverse proxy every visitor has the proxy's address."))
    found += _database_answers()
    found += _rate_limit_storage_answers(storage)
    return found


def _database_answers():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return []
    except Exception as error:  # noqa: BLE001 - any failure is the finding
        db.session.rollback()
        return [("FAIL", f"the database does not answer: {type(error).__name__}: {str(error)[:200]}")]


def _rate_limit_storage_answers(storage):
    if storage.startswith("memory://"):
        return []
    from limits.storage import storage_from_string

    try:
        if storage_from_string(storage).check():
            return []
        error = "no answer"
    except Exception as failure:  # noqa: BLE001 - any failure is the finding
        error = f"{type(failure).__name__}: {str(failure)[:200]}"
    return [("FAIL", f"the rate-limit storage {_mask_url(storage)} does not answer: {error}")]


@click.command("check-config")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="Workers gunicorn will run (default: WEB_CONCURRENCY or GUNICORN_CMD_ARGS, else 1).")
@with_appcontext
def check_config_command(workers):
    """Print every setting in effect (secrets masked); exit 1 on anything that will not work in production."""
    config = current_app.config
    workers = workers or gunicorn_workers(os.environ)
    for name in SHOWN:
        click.echo(f"{name} = {shown(name, config.get(name))}")
    click.echo(f"workers = {workers}")
    found = problems(config, workers)
    for level, message in found:
        click.echo(f"{level}: {message}")
    if any(level == "FAIL" for level, _message in found):
        raise SystemExit(1)
    click.echo("OK")
