"""Settings read from the environment (see the settings table in the README)."""
import os
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many


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


def _rate_limit(env, name, default):
    """A rate limit in Flask-Limiter's notation ("10 per hour;3 per minute"), refused at start when unreadable."""
    raw = env.get(name, default)
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a rate limit such as '10 per hour', not {raw!r}.") from None
    return raw


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
        SEARCH_INDEX_DIR=env.get("SEARCH_INDEX_DIR", os.path.join(instance, "search-index")),
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
        # Links in emails written outside a request (cron commands).
        SITE_URL=env.get("SITE_URL", "http://127.0.0.1:5000"),
        STRIPE_SECRET_KEY=env.get("STRIPE_SECRET_KEY"),
        STRIPE_WEBHOOK_SECRET=env.get("STRIPE_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET),
        STRIPE_API_BASE=env.get("STRIPE_API_BASE"),
        PLATFORM_FEE_PERCENT=_whole_number(env, "PLATFORM_FEE_PERCENT", 5, 0, 100),
        RATELIMIT_STORAGE_URI=env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Always explicit: Flask-Limiter keeps the last app's value on its one Limiter object otherwise.
        RATELIMIT_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,
        SITE_NAME=env.get("SITE_NAME", "Pasar Desa"),
        # Unpaid orders hold stock: how many one buyer may have at once, and how much of a listing's stock
        # one of them may hold (percent, at least one piece).
        MAX_UNPAID_ORDERS=_whole_number(env, "MAX_UNPAID_ORDERS", 2, 1, 100),
        UNPAID_ORDER_MAX_STOCK_PERCENT=_whole_number(env, "UNPAID_ORDER_MAX_STOCK_PERCENT", 50, 1, 100),
        # Orders placed per account and per client address (addresses are shared behind mobile carriers' NAT).
        CHECKOUT_LIMIT_ACCOUNT=_rate_limit(env, "CHECKOUT_LIMIT_ACCOUNT", "10 per hour"),
        CHECKOUT_LIMIT_ADDRESS=_rate_limit(env, "CHECKOUT_LIMIT_ADDRESS", "60 per hour"),
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
    )
    if test_config:
        app.config.update(test_config)
    _check_secret_key(app)
    _check_payments(app)


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
