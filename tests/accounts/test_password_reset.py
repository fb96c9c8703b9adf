"""Lupa kata sandi: a single-use link that expires in an hour, the same answer for every address, rate limits,
and every session logged out when it is used."""
import re

import pytest
from sqlalchemy import select

from marketplace.accounts import service, tokens
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import TEST_PASSWORD, csrf_token

NEW_PASSWORD = "a brand new password"


def ask(client, email, **environ):
    return client.post("/account/forgot", data={"email": email, "csrf_token": csrf_token(client, "/account/forgot")},
                       environ_base=environ)


def reset_link(email):
    db.session.expire_all()
    bodies = db.session.scalars(select(Notification.body).where(Notification.to_email == email,
                                                                Notification.kind == "account_password_reset"))
    return re.search(r"http://localhost(/account/reset/\S+)", list(bodies)[-1]).group(1)


def set_password(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"new_password": password, "confirm": password,
                                   "csrf_token": csrf_token(client, path)})


def test_login_page_offers_the_reset(client):
    assert 'href="/account/forgot"' in client.get("/login").get_data(as_text=True)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(client, make_user):
    user = make_user(email="ada@example.com")
    known, unknown = ask(client, "ada@example.com"), ask(client, "tidak-ada@example.com")
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace("ada@example.com", "X")
            == unknown.get_data(as_text=True).replace("tidak-ada@example.com", "X"))
    db.session.expire_all()
    assert db.session.scalars(select(Notification.to_email)).all() == [user.email]


def test_the_link_sets_a_password_once_and_logs_out_everywhere(app, client, auth, make_user):
    user = make_user(verified=False)
    other_device = app.test_client()
    type(auth)(other_device).login(user.email)
    ask(client, user.email)
    path = reset_link(user.email)
    assert client.get(path).status_code == 200
    response = set_password(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert other_device.get("/account/password").status_code == 302
    assert service.authenticate(user.email, TEST_PASSWORD) is None
    assert service.authenticate(user.email, NEW_PASSWORD) is user
    assert user.is_email_verified  # the link came to the address
    later = app.test_client()
    again = later.post(path, data={"new_password": "yet another password!", "confirm": "yet another password!",
                                   "csrf_token": csrf_token(later, "/account/forgot")})
    assert again.status_code == 400 and "tidak berlaku" in again.get_data(as_text=True)
    assert service.authenticate(user.email, NEW_PASSWORD) is user


def test_the_link_expires_after_an_hour(client, make_user, monkeypatch):
    user = make_user()
    ask(client, user.email)
    monkeypatch.setattr(tokens, "RESET_MAX_AGE_SECONDS", -1)
    response = client.get(reset_link(user.email))
    assert response.status_code == 400
    assert service.authenticate(user.email, TEST_PASSWORD) is user


@pytest.mark.parametrize("token", ["nonsense", "x" * 100_000, "eyJ1Ijo.forged.sig"])
def test_a_forged_link_changes_nothing(client, make_user, token):
    user = make_user()
    response = client.post(f"/account/reset/{token}", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                                            "csrf_token": csrf_token(client, "/account/forgot")})
    assert response.status_code in (400, 404)
    assert service.authenticate(user.email, TEST_PASSWORD) is user


def test_a_too_short_password_is_refused_and_the_link_still_works(client, make_user):
    user = make_user()
    ask(client, user.email)
    path = reset_link(user.email)
    assert set_password(client, path, "short").status_code == 422
    assert set_password(client, path).status_code == 302


def test_requests_are_rate_limited(client, make_user):
    user = make_user()
    statuses = [ask(client, user.email, REMOTE_ADDR=f"10.9.0.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    statuses = [ask(client, f"someone{n}@example.com").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
