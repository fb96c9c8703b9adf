"""GET /metrics: who may read it, the request figures, the backlogs an operator alerts on, the cron commands'
last successes, and gunicorn workers counted together (multiprocess mode)."""
import os
import re
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from marketplace.extensions import db
from marketplace.jobs import JobRun
from marketplace.models_base import utcnow
from marketplace.notifications.models import Notification
from marketplace.search.models import SearchOutbox

OUTSIDER = {"REMOTE_ADDR": "203.0.113.7"}


def figure(text, name, **labels):
    """The value of one sample in a Prometheus text page, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if not line.startswith("#") and _sample_name_and_labels(sample) == (name, wanted):
            return float(value)
    return None


def _sample_name_and_labels(sample):
    name, _, rest = sample.partition("{")
    labels = sorted(re.findall(r'(\w+="[^"]*")', rest))
    return name, ",".join(labels)


def scrape(client, **kwargs):
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "metrics-s3cret"},
                                     {"Authorization": "Bearer "}, {"X-Forwarded-For": "127.0.0.1"}])
def test_anyone_else_gets_404(app, client, headers):
    app.config["METRICS_TOKEN"] = "metrics-s3cret"
    response = client.get("/metrics", headers=headers, environ_base=OUTSIDER)
    assert response.status_code == 404 and "pasardesa_" not in response.get_data(as_text=True)


def test_allowed_addresses_and_the_token_may_read(app, client):
    assert "pasardesa_http_requests_total" in scrape(client)  # the test client comes from 127.0.0.1
    app.config["METRICS_TOKEN"] = "metrics-s3cret"
    assert "pasardesa_orders" in scrape(client, headers={"Authorization": "Bearer metrics-s3cret"},
                                        environ_base=OUTSIDER)
    app.config["METRICS_TOKEN"] = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}, environ_base=OUTSIDER).status_code == 404


@pytest.mark.own_app(TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_the_client_address_decides(app):
    """nginx on 127.0.0.1 forwarding a visitor must not make the visitor look local."""
    client = app.test_client()
    forwarded = {"X-Forwarded-For": "198.51.100.4"}
    assert client.get("/metrics", headers=forwarded).status_code == 404


def test_requests_are_counted_by_endpoint_and_status(client):
    before = scrape(client)
    client.get("/login")
    client.get("/no-such-page")
    after = scrape(client)
    for endpoint, status in (("accounts.login", "200"), ("none", "404")):
        was = figure(before, "pasardesa_http_requests_total", endpoint=endpoint, method="GET", status=status) or 0
        assert figure(after, "pasardesa_http_requests_total", endpoint=endpoint, method="GET", status=status) == was + 1
    assert figure(after, "pasardesa_http_request_duration_seconds_count", endpoint="accounts.login", status="200")


def test_backlogs_and_their_ages(client, make_order):
    db.session.execute(delete(Notification))
    db.session.execute(delete(SearchOutbox))
    make_order(paid=False)
    now = utcnow()
    db.session.add_all([
        Notification(dedupe_key="a", kind="paid", to_email="a@example.com", subject="s", body="b",
                     created_at=now - timedelta(minutes=45)),
        Notification(dedupe_key="b", kind="paid", to_email="b@example.com", subject="s", body="b",
                     created_at=now - timedelta(minutes=5), attempts=1, last_error="SMTP down"),
        Notification(dedupe_key="c", kind="paid", to_email="c@example.com", subject="s", body="b",
                     created_at=now - timedelta(hours=3), sent_at=now - timedelta(hours=3)),
        SearchOutbox(kind="product", object_id=1, created_at=now - timedelta(minutes=7)),
        SearchOutbox(kind="product", object_id=2, created_at=now)])
    db.session.commit()
    text = scrape(client)
    assert figure(text, "pasardesa_notifications_unsent") == 2
    assert figure(text, "pasardesa_notifications_failed") == 1
    assert 45 * 60 <= figure(text, "pasardesa_notifications_oldest_unsent_age_seconds") < 47 * 60
    assert figure(text, "pasardesa_search_outbox_backlog") == 2
    assert 7 * 60 <= figure(text, "pasardesa_search_outbox_oldest_age_seconds") < 9 * 60
    assert figure(text, "pasardesa_orders_unpaid_waiting") >= 1
    assert figure(text, "pasardesa_orders", state="pending") >= 1
    assert figure(text, "pasardesa_orders", state="expired") is not None  # every state has a series
    assert figure(text, "pasardesa_shop_orders", state="awaiting_payment") >= 1


def test_cron_commands_record_their_last_success(client, runner):
    db.session.execute(delete(JobRun))
    db.session.commit()
    for command in (["notifications", "send"], ["search", "sync"], ["orders", "expire"], ["orders", "auto-complete"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    runs = dict(db.session.execute(select(JobRun.name, JobRun.last_success_at)).all())
    assert set(runs) == {"notifications send", "search sync", "orders expire", "orders auto-complete"}
    text = scrape(client)
    stamp = figure(text, "pasardesa_job_last_success_timestamp_seconds", job="search sync")
    assert abs(stamp - utcnow().timestamp()) < 120


def test_a_failed_cron_run_keeps_the_previous_success(app, runner):
    from marketplace.jobs import record_success

    earlier = utcnow() - timedelta(hours=2)
    record_success("orders auto-complete", 5, now=earlier)
    result = runner.invoke(args=["orders", "auto-complete", "--days", "0"])  # refused by click: 1 to 365
    assert result.exit_code != 0
    kept = db.session.scalar(select(JobRun.last_success_at).where(JobRun.name == "orders auto-complete"))
    assert abs((kept - earlier).total_seconds()) < 1


WORKER = textwrap.dedent("""
    import sys
    from marketplace import create_app
    from marketplace.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x", "TESTING": True,
                      "STRIPE_WEBHOOK_SECRET": "whsec_x", "INSTANCE_PATH": sys.argv[2]})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    for _ in range(int(sys.argv[3])):
        assert client.get("/login").status_code == 200
    if sys.argv[4] == "scrape":
        print(client.get("/metrics").get_data(as_text=True))
""")


@pytest.mark.slow
def test_every_worker_counts_in_multiprocess_mode(tmp_path):
    """Three processes share PROMETHEUS_MULTIPROC_DIR, as gunicorn workers do: the scrape adds them up. The first
    two serve side by side (each on a database of its own: they only count requests)."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}

    def worker(number, requests, then):
        return subprocess.Popen([sys.executable, "-c", WORKER, f"sqlite:///{tmp_path}/worker-{number}.db",
                                 str(tmp_path / "instance"), str(requests), then],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finished(process):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        return out

    for serving in [worker(1, 3, "exit"), worker(2, 4, "exit")]:
        finished(serving)
    text = finished(worker(3, 2, "scrape"))
    assert figure(text, "pasardesa_http_requests_total", endpoint="accounts.login", method="GET", status="200") == 9
