"""Settings read from the environment (see the settings table in the README)."""
import ipaddress
import os
import shlex
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

from .media.limits import MAX_REQUEST_BYTES



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


def _choice(env, name, default, choices):
    """A setting that is one of a few words (case-insensitive), refused at start otherwise."""
    value = env.get(name, default).strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


def _networks(env, name, default):
    """A comma-separated list of addresses or networks (10.0.0.0/8), refused at start when one is not."""
    raw = env.get(name, default)
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must list addresses or networks separated by commas, not {raw!r}.") from None


def gunicorn_workers(env):
    """How many workers gunicorn will start: -w/--workers in GUNICORN_CMD_ARGS, or WEB_CONCURRENCY; else 1."""
    words = shlex.split(env.get("GUNICORN_CMD_ARGS", ""))
    for index, word in enumerate(words):
        if word in ("-w", "--workers") and index + 1 < len(words):
            return _positive(words[index + 1])
        if word.startswith("--workers="):
            return _positive(word.split("=", 1)[1])
    return _positive(env.get("WEB_CONCURRENCY", "1"))


def _positive(raw):
    try:
        return max(1, int(raw))
    except ValueError:
        return 1
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
        # No pool_pre_ping: database.configure_pool pings only PostgreSQL connections idle for over 10 s.
        SQLALCHEMY_ENGINE_OPTIONS={},
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
        STRIPE_WEBHOOK_SECRET=env.get("STRIPE_WEBHOOK_SECRET"),
        STRIPE_API_BASE=env.get("STRIPE_API_BASE"),
        PLATFORM_FEE_PERCENT=_whole_number(env, "PLATFORM_FEE_PERCENT", 5, 0, 100),
        PAYOUT_MINIMUM=_whole_number(env, "PAYOUT_MINIMUM", 50_000, 1, 10**12),
        PAYOUT_HOLD_DAYS=_whole_number(env, "PAYOUT_HOLD_DAYS", 3, 0, 90),
        BANK_TRANSFER_HOURS=_whole_number(env, "BANK_TRANSFER_HOURS", 24, 1, 168),
        CASH_PICKUP_DAYS=_whole_number(env, "CASH_PICKUP_DAYS", 3, 1, 14),
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
        # Who may read /metrics: these addresses or networks, or a request bearing METRICS_TOKEN.
        METRICS_ALLOW=_networks(env, "METRICS_ALLOW", "127.0.0.1,::1"),
        METRICS_TOKEN=env.get("METRICS_TOKEN", ""),
        LOG_FORMAT=_choice(env, "LOG_FORMAT", "text", ("text", "json")),
        LOG_LEVEL=_choice(env, "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        BABEL_DEFAULT_LOCALE="id",
        LANGUAGES=("id", "en"),
        # A photo at its limit plus the rest of the form; stated to people by media.limits.upload_limit().
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
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
    _check_rate_limit_storage(app, gunicorn_workers(env))
    if not app.config["STRIPE_WEBHOOK_SECRET"]:
        # The stand-in signs its events with a secret of this instance, so no public value verifies them.
        app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_" + instance_secret(instance, "stripe-webhook-secret")


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


def instance_secret(instance, name):
    """A random secret made once for this instance and kept in instance/<name> (mode 0600): every worker and
    every restart reads the same one."""
    path = os.path.join(instance, name)
    if not os.path.exists(path):
        os.makedirs(instance, exist_ok=True)
        # Written whole under a private name, then linked into place: of several workers starting at once, the
        # first link wins and the others read its secret, never a half-written file.
        temporary = f"{path}.{os.getpid()}-{secrets.token_hex(4)}"
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    with open(path, encoding="ascii") as kept:
        secret = kept.read().strip()
    if len(secret) < 32:
        raise ConfigError(f"{path} holds no usable secret: delete it and start again.")
    return secret


def _check_payments(app):
    """Production takes real money: the real Stripe key and its own webhook secret, never the stand-in's."""
    if not app.config["PRODUCTION"]:
        return
    if not app.config["STRIPE_SECRET_KEY"]:
        raise ConfigError("STRIPE_SECRET_KEY must be set in production (the local Stripe stand-in never runs there).")
    if not app.config["STRIPE_WEBHOOK_SECRET"]:
        raise ConfigError("STRIPE_WEBHOOK_SECRET must be set in production to the endpoint's signing secret.")


def _check_rate_limit_storage(app, workers):
    """memory:// counts per process: with several workers every limit would be multiplied by their number."""
    if app.config["PRODUCTION"] and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://") and workers > 1:
        raise ConfigError(f"RATELIMIT_STORAGE_URI must be shared storage (redis://...) in production with {workers} "
                          "workers; memory:// counts in each worker alone.")


def _check_secret_key(app):
    if app.config["SECRET_KEY"]:
        return
    if app.config["PRODUCTION"]:
        raise ConfigError("SECRET_KEY must be set in production.")
    # Development: one key for every worker and restart, so sessions and CSRF tokens hold across them.
    app.config["SECRET_KEY"] = instance_secret(app.instance_path, "secret-key")
