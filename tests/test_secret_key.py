"""SECRET_KEY: production refuses to start without one; development keeps one per instance, shared by its workers.

Apart from the other security tests, whose module shares one world of rows on one connection: these make apps of
their own, and one of them writes to the database through its own connection."""
import os
import stat

import pytest

from marketplace import create_app
from marketplace.config import ConfigError


@pytest.mark.parametrize("variable, value", [("PRODUCTION", "1"), ("PRODUCTION", "true"),
                                             ("FLASK_ENV", "production")])
@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path, variable, value, secret):
    monkeypatch.setenv(variable, value)
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_development_keeps_one_secret_key_in_the_instance_folder(monkeypatch, tmp_path):
    """Every worker of one instance signs sessions with the same key; another instance has its own."""
    for variable in ("PRODUCTION", "FLASK_ENV", "SECRET_KEY"):
        monkeypatch.delenv(variable, raising=False)
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "INSTANCE_PATH": str(tmp_path / "one")}
    first, second = create_app(settings), create_app(settings)
    other = create_app({**settings, "INSTANCE_PATH": str(tmp_path / "two")})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] != other.config["SECRET_KEY"]
    kept = tmp_path / "one" / "secret-key"
    assert kept.read_text().strip() == first.config["SECRET_KEY"]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert first.config["PRODUCTION"] is False


def test_a_session_made_by_one_worker_holds_on_another(monkeypatch, tmp_path, database_url):
    """Two apps of one instance (two gunicorn workers): a login cookie and a CSRF token made by one work on the
    other."""
    from tests.conftest import app_settings, csrf_token

    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = {**app_settings(tmp_path, database_url), "SECRET_KEY": None}
    first, second = create_app(settings), create_app(settings)
    client = first.test_client()
    token = csrf_token(client, "/login")
    client.application = second
    answer = client.post("/login", data={"email": "nobody@example.com", "password": "x", "csrf_token": token})
    assert answer.status_code == 401  # the answer to a wrong password, not 400 for a CSRF token it cannot read


def test_workers_starting_together_agree_on_one_key(tmp_path):
    """Processes started at the same moment each read the one key the first of them wrote."""
    import subprocess
    import sys

    code = "import sys; from marketplace.config import instance_secret; print(instance_secret(sys.argv[1], 'k'))"
    workers = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
               for _ in range(6)]
    keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert os.listdir(tmp_path) == ["k"]
