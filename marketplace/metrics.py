"""GET /metrics for Prometheus: requests by endpoint and status, and what an operator alerts on (orders by state,
unpaid orders waiting, the search and email outboxes' backlogs and ages, each cron command's last success).

Request figures are counted in each process. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR (an empty directory,
emptied at every start) in the environment of the server, so that every worker's counts are added up. The rest
is read from the database when Prometheus scrapes. Only addresses in METRICS_ALLOW, or a request with
`Authorization: Bearer <METRICS_TOKEN>`, may read it; anyone else gets 404.
"""
import hmac
import ipaddress
import os
import time
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from .extensions import db, limiter
from .jobs import JobRun
from .models_base import utcnow
from .notifications.models import Notification
from .orders.models import ORDER_STATES, SHOP_ORDER_STATES, Order, ShopOrder
from .search.models import SearchOutbox

bp = Blueprint("metrics", __name__)

REQUESTS = Counter("pasardesa_http_requests_total", "Requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("pasardesa_http_request_duration_seconds", "Time to answer a request, by endpoint and status.",
                    ["endpoint", "status"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
UNPAID_STATES = ("pending", "processing")


def install(app):
    """Count every request (two in-memory increments: cheap enough for every response)."""
    app.after_request(_count_request)
    app.register_blueprint(bp)


def _count_request(response):
    started = g.get("request_started")
    if started is not None:
        endpoint, status = request.endpoint or "none", str(response.status_code)
        REQUESTS.labels(endpoint, request.method, status).inc()
        LATENCY.labels(endpoint, status).observe(time.perf_counter() - started)
    return response


def _allowed():
    """From an address in METRICS_ALLOW, or with the bearer token METRICS_TOKEN."""
    token = current_app.config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.config["METRICS_ALLOW"])


@bp.route("/metrics")
@limiter.exempt
def metrics():
    """The Prometheus text format; 404 for anyone not allowed, as if there were nothing here."""
    if not _allowed():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests_registry = CollectorRegistry()
        MultiProcessCollector(requests_registry)
    else:
        requests_registry = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    body = generate_latest(requests_registry) + generate_latest(database)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


class DatabaseCollector:
    """The marketplace's state, read at each scrape (a handful of indexed COUNT queries)."""

    def collect(self):
        """Yield one metric family per figure."""
        now = utcnow()
        yield _by_label("pasardesa_orders", "Orders (checkouts) by state.", "state",
                        _every_state(ORDER_STATES, select(Order.state, func.count()).group_by(Order.state)))
        yield _by_label("pasardesa_shop_orders", "Shops' parts of orders by state.", "state",
                        _every_state(SHOP_ORDER_STATES,
                                     select(ShopOrder.state, func.count()).group_by(ShopOrder.state)))
        unpaid, oldest_unpaid = _count_and_oldest(Order.created_at, Order.state.in_(UNPAID_STATES))
        yield _gauge("pasardesa_orders_unpaid_waiting", "Orders placed and not yet paid, expired or cancelled.",
                     unpaid)
        yield _gauge("pasardesa_orders_unpaid_oldest_age_seconds", "Age of the oldest unpaid order (0: none).",
                     _age(now, oldest_unpaid))
        backlog, oldest = _count_and_oldest(SearchOutbox.created_at)
        yield _gauge("pasardesa_search_outbox_backlog", "Changes the search index has not applied yet.", backlog)
        yield _gauge("pasardesa_search_outbox_oldest_age_seconds",
                     "Age of the oldest change the index has not applied (0: none).", _age(now, oldest))
        unsent, oldest = _count_and_oldest(Notification.created_at, Notification.sent_at.is_(None))
        failed, _ = _count_and_oldest(Notification.created_at, Notification.sent_at.is_(None),
                                      Notification.last_error != "")
        yield _gauge("pasardesa_notifications_unsent", "Emails written and not sent yet.", unsent)
        yield _gauge("pasardesa_notifications_failed", "Unsent emails whose last try failed.", failed)
        yield _gauge("pasardesa_notifications_oldest_unsent_age_seconds", "Age of the oldest unsent email (0: none).",
                     _age(now, oldest))
        runs = db.session.execute(select(JobRun.name, JobRun.last_success_at))
        yield _by_label("pasardesa_job_last_success_timestamp_seconds",
                        "When each cron command last finished without an error (Unix time).", "job",
                        ((name, at.timestamp()) for name, at in runs))


def _every_state(states, counts):
    """Every known state, 0 when no row is in it, so that an alert has a series to look at."""
    found = dict.fromkeys(states, 0)
    found.update(db.session.execute(counts).all())
    return found.items()


def _count_and_oldest(created_at, *where):
    return db.session.execute(select(func.count(), func.min(created_at)).where(*where)).one()


def _age(now, oldest):
    return max(0.0, (now - _aware(oldest)).total_seconds()) if oldest is not None else 0.0


def _aware(moment):
    # func.min() bypasses the column type: SQLite hands back a naive (UTC) datetime or a string.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _gauge(name, documentation, value):
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def _by_label(name, documentation, label, rows):
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in rows:
        family.add_metric([key], value)
    return family
