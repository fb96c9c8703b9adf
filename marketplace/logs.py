"""One logging configuration for the whole marketplace, request ids, and one access line per request.

Every logger under `marketplace` (module loggers and `current_app.logger` alike) writes through one handler
on stderr, as readable text or, with LOG_FORMAT=json, one JSON object per line. Each line carries the id of
the request being served (also the emails and index work that request causes after its commit), which the
response returns in X-Request-ID and the 500 page shows as its error code.
"""
import contextvars
import json
import logging
import logging.config
import os
import re
import time

from flask import current_app, g, request
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable
from werkzeug.local import LocalProxy

REQUEST_ID = contextvars.ContextVar("request_id", default="-")
# What a proxy's X-Request-ID may look like; anything else is replaced by an id of our own.
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
# Fields an access line adds to its record (shown as key=value in text, as keys in JSON).
ACCESS_FIELDS = ("method", "endpoint", "status", "duration_ms", "user_id")
access_log = logging.getLogger("marketplace.access")


class RequestIdFilter(logging.Filter):
    """Stamp every record with the id of the request (or command run) it was written for."""

    def filter(self, record):
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    converter = time.gmtime

    def format(self, record):
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                 "level": record.levelname, "logger": record.name, "request_id": record.request_id,
                 "message": record.getMessage()}
        entry.update({name: getattr(record, name) for name in ACCESS_FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines: UTC time, level, logger, [request id], message."""

    converter = time.gmtime

    def __init__(self):
        super().__init__("%(asctime)sZ %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure_logging(config):
    """Install the one configuration (LOG_FORMAT, LOG_LEVEL); the root logger is left to the host."""
    formatter = "json" if config["LOG_FORMAT"] == "json" else "text"
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"text": {"()": TextFormatter}, "json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": formatter,
                                "filters": ["request_id"]}},
        "loggers": {"marketplace": {"handlers": ["stderr"], "level": config["LOG_LEVEL"]}},
    })


def install_request_ids(app):
    """Give every request an id, return it in X-Request-ID, and write one access line per request."""
    # First of all hooks, so that whatever a request logs carries its id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.teardown_request(_forget_request)


def _start_request():
    proxy_id = request.headers.get("X-Request-ID", "")
    # A client's own X-Request-ID is believed only through a trusted proxy, which sets it.
    trusted = proxy_id and current_app.config["TRUSTED_PROXIES"] and _GOOD_ID.fullmatch(proxy_id)
    g.request_id = proxy_id if trusted else os.urandom(16).hex()
    g.request_started = time.perf_counter()
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _finish_request(response):
    """Return the id, and write the access line: never a path, a query, a form or an email, only ids."""
    request_id = g.get("request_id")
    if request_id is None:
        return response
    response.headers["X-Request-ID"] = request_id
    # The user only when the request loaded it: the line never costs a query.
    fields = {"method": request.method, "endpoint": request.endpoint or "-", "status": response.status_code,
              "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
              "user_id": _user_id()}
    access_log.info("%(method)s %(endpoint)s %(status)s %(duration_ms)sms user=%(user_id)s", fields, extra=fields)
    return response


def _user_id():
    """The id of the user this request loaded, or None; never loads one (the line must not cost a query)."""
    user = g.get("_login_user")
    if user is None or type(user) is LocalProxy:  # type(): isinstance() would ask the proxy itself
        return None
    # From the session's identity key: after the view's commit every attribute is expired, and reading user.id
    # would load the user again, a statement and on SQLite a second turn at the write lock for a POST.
    try:
        identity = inspect(user).identity
    except NoInspectionAvailable:  # the anonymous user
        return getattr(user, "id", None)
    return identity[0] if identity else None


def _forget_request(_error=None):
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            REQUEST_ID.reset(token)
        except ValueError:  # torn down in another context than it began in
            REQUEST_ID.set("-")


def request_id():
    """The id of the request being served ('-' outside one)."""
    return REQUEST_ID.get()
