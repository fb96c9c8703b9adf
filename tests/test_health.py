"""GET /healthz: 200 when the storage answers, 503 when the database really does not."""
import pytest

from marketplace import create_app
from marketplace.extensions import db
from marketplace.health import HEALTH_CHECKS
from tests.conftest import app_settings


def test_database_answers(client):
    response = client.get("/healthz")
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["database"] == "ok"
    assert set(body) == {"status", *HEALTH_CHECKS}


def test_healthy(client):
    response = client.get("/healthz")
    body = response.get_json()
    # Later features add their own checks (the search index...); all answer on a healthy marketplace.
    assert set(body.values()) == {"ok"}, body
    assert response.status_code == 200


def test_health_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.headers.getlist("Set-Cookie") == []


def _unreachable(tmp_path, kind):
    if kind == "postgresql-port-closed":
        # Port 1 on localhost: nothing listens there, the connection is refused at once.
        return "postgresql+psycopg://postgres@127.0.0.1:1/pasardesa?connect_timeout=3"
    return f"sqlite:///{tmp_path}/no-such-directory/marketplace.db"


@pytest.fixture
def broken_app(request, tmp_path, database_url):
    """An app whose database does not answer."""
    settings = app_settings(tmp_path, database_url)
    settings["SQLALCHEMY_DATABASE_URI"] = _unreachable(tmp_path, request.param)
    app = create_app(settings)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("broken_app", ["postgresql-port-closed", "sqlite-unopenable-path"], indirect=True)
def test_database_down_gives_503(broken_app):
    response = broken_app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == "unavailable"


def test_recovers_when_the_database_comes_back(tmp_path, database_url):
    app = create_app({**app_settings(tmp_path, database_url),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/later/marketplace.db"})
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unavailable"
    (tmp_path / "later").mkdir()
    assert client.get("/healthz").get_json()["database"] == "ok"
    with app.app_context():
        db.engine.dispose()
