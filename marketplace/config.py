"""Settings read from the environment (see the settings table in the README)."""
import os
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


DEVELOPMENT_WEBHOOK_SECRET = "whsec_pasardesa_development"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable marketplace."""


def _bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _whole_number(env, name, default, low, high=None):
    """A whole-number setting, refused at start when it is not one or out of range."""
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{name} must be between {low} and {high or 'any'}, not {value}.")
    return value


def _time_zone(env):
    """DISPLAY_TIMEZONE, checked now rather than on the first page that shows a time."""
    name = env.get("DISPLAY_TIMEZONE", "Asia/Makassar")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DISPLAY_TIMEZONE {name!r} is not a known time zone (e.g. Asia/Makassar).") from None
    return name


def load_config(app, test_config=None):
    """Fill app.config from defaults, the environment and an optional test mapping."""
    env = os.environ
    instance = app.instance_path
    production = env.get("FLASK_ENV") == "production" or _bool(env.get("PRODUCTION", ""))
    app.config.update(
        PRODUCTION=production,
        SQLALCHEMY_DATABASE_URI=env.get("DATABASE_URL", f"sqlite:///{os.path.join(instance, 'marketplace.db')}"),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SECRET_KEY=env.get("SECRET_KEY"),
        MEDIA_ROOT=env.get("MEDIA_ROOT", os.path.join(instance, "media")),
        # local: photos under MEDIA_ROOT, served by /media/; s3: an S3-compatible bucket (several servers),
        # fetched by browsers from MEDIA_PUBLIC_URL. Credentials come from boto3's usual AWS_* variables.
        MEDIA_STORAGE=env.get("MEDIA_STORAGE", "local"),
        MEDIA_S3_BUCKET=env.get("MEDIA_S3_BUCKET", ""),
        MEDIA_S3_REGION=env.get("MEDIA_S3_REGION", ""),
        MEDIA_S3_ENDPOINT_URL=env.get("MEDIA_S3_ENDPOINT_URL", ""),
        MEDIA_PUBLIC_URL=env.get("MEDIA_PUBLIC_URL", ""),
        SEARCH_INDEX_DIR=env.get("SEARCH_INDEX_DIR", os.path.join(instance, "search-index")),
        # whoosh: an index on this machine's disk; postgres: the database's full-text search (several servers).
        SEARCH_BACKEND=env.get("SEARCH_BACKEND", "whoosh"),
        # Without MAIL_SERVER, emails are written as .eml files here (development, tests).
        MAIL_OUTBOX_DIR=env.get("MAIL_OUTBOX_DIR", os.path.join(instance, "mail")),
        MAIL_SERVER=env.get("MAIL_SERVER", ""),
        MAIL_PORT=_whole_number(env, "MAIL_PORT", 587, 1, 65535),
        MAIL_USE_TLS=_bool(env.get("MAIL_USE_TLS", "true")),
        MAIL_USERNAME=env.get("MAIL_USERNAME", ""),
        MAIL_PASSWORD=env.get("MAIL_PASSWORD", ""),
        MAIL_FROM=env.get("MAIL_FROM", "Pasar Desa <pesanan@pasardesa.id>"),
        # Off: requests only write the outbox and `flask notifications send` (cron or a loop) sends everything.
        NOTIFICATIONS_SEND_ON_COMMIT=_bool(env.get("NOTIFICATIONS_SEND_ON_COMMIT", "true")),
        MAIL_TIMEOUT_SECONDS=_whole_number(env, "MAIL_TIMEOUT_SECONDS", 10, 1, 120),
        # The one source of absolute links (emails, JSON, payment redirects); never the request's Host.
        SITE_URL=env.get("SITE_URL", "http://127.0.0.1:5000"),
        # Host names the site answers to besides SITE_URL's (comma-separated); production refuses others (400).
        TRUSTED_HOSTS=_host_list(env.get("TRUSTED_HOSTS", "")),
        # Believe the proxy's X-Forwarded-Host; only when the proxy sets it itself (nginx passes a client's on).
        TRUST_FORWARDED_HOST=_bool(env.get("TRUST_FORWARDED_HOST", "")),
        STRIPE_SECRET_KEY=env.get("STRIPE_SECRET_KEY"),
        STRIPE_WEBHOOK_SECRET=env.get("STRIPE_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET),
        STRIPE_API_BASE=env.get("STRIPE_API_BASE"),
        PLATFORM_FEE_PERCENT=_whole_number(env, "PLATFORM_FEE_PERCENT", 5, 0, 100),
        PAYOUT_MINIMUM=_whole_number(env, "PAYOUT_MINIMUM", 50_000, 1, 10**12),
        PAYOUT_HOLD_DAYS=_whole_number(env, "PAYOUT_HOLD_DAYS", 3, 0, 90),
        RATELIMIT_STORAGE_URI=env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Always explicit: Flask-Limiter keeps the last app's value on its one Limiter object otherwise.
        RATELIMIT_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,
        SITE_NAME=env.get("SITE_NAME", "Pasar Desa"),
        # Visitors without a session share one rendering of the home page for this long (0: off).
        # How many reverse proxies stand in front: their X-Forwarded-For/-Proto are trusted (rate limits,
        # Secure redirects); 0 trusts nothing, so a forged header changes nothing.
        TRUSTED_PROXIES=_whole_number(env, "TRUSTED_PROXIES", 0, 0, 5),
        HOME_PAGE_CACHE_SECONDS=_whole_number(env, "HOME_PAGE_CACHE_SECONDS", 10, 0, 3600),
        DISPLAY_TIMEZONE=_time_zone(env),
        BABEL_DEFAULT_LOCALE="id",
        LANGUAGES=("id", "en"),
        # 15 MB photo plus the rest of the form.
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=production,
        WTF_CSRF_TIME_LIMIT=None,
        # OWASP ASVS 5 argon2id: 19 MiB memory, 2 iterations, 1 lane.
        ARGON2_MEMORY_KIB=_whole_number(env, "ARGON2_MEMORY_KIB", 19456, 8),
        ARGON2_TIME_COST=_whole_number(env, "ARGON2_TIME_COST", 2, 1),
        # How long a wrong password waits for its answer once its email has had many failures from anywhere.
        LOGIN_SLOWDOWN_SECONDS=_whole_number(env, "LOGIN_SLOWDOWN_SECONDS", 2, 0, 30),
    )
    if test_config:
        app.config.update(test_config)
    _check_secret_key(app)
    _check_payments(app)
    _check_site_url(app, "SITE_URL" in env or bool(test_config and "SITE_URL" in test_config))


def _host_list(raw):
    return [host.strip().lower() for host in raw.split(",") if host.strip()]


def _check_site_url(app, given):
    """SITE_URL must be an absolute http(s) URL; production must name it, and answers only to its hosts."""
    config = app.config
    parts = urlsplit(config["SITE_URL"])
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"SITE_URL must be an absolute http(s) URL, not {config['SITE_URL']!r}.")
    if not config["PRODUCTION"]:
        config["TRUSTED_HOSTS"] = config["TRUSTED_HOSTS"] or None
        return
    if not given:
        raise ConfigError("SITE_URL must be set in production (e.g. https://pasardesa.id): links in emails use it.")
    # Flask answers 400 to any other Host, so a forged one never reaches a page.
    config["TRUSTED_HOSTS"] = [parts.hostname, *config["TRUSTED_HOSTS"]]


def _check_payments(app):
    """Production takes real money: the real Stripe key and its own webhook secret, never the stand-in's."""
    if not app.config["PRODUCTION"]:
        return
    if not app.config["STRIPE_SECRET_KEY"]:
        raise ConfigError("STRIPE_SECRET_KEY must be set in production (the local Stripe stand-in never runs there).")
    if app.config["STRIPE_WEBHOOK_SECRET"] == DEVELOPMENT_WEBHOOK_SECRET:
        raise ConfigError("STRIPE_WEBHOOK_SECRET must be set in production to the endpoint's signing secret.")


def _check_secret_key(app):
    if app.config["SECRET_KEY"]:
        return
    if app.config["PRODUCTION"]:
        raise ConfigError("SECRET_KEY must be set in production.")
    # Development: sessions last as long as the process.
    app.config["SECRET_KEY"] = secrets.token_hex(32)
