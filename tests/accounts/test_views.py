"""Registration, login, logout and password change through HTTP."""
import pytest

from marketplace.accounts import service
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token


def register(client, **overrides):
    data = {"name": "Ibu Sari", "email": "sari@example.com", "phone": "0812 3456 7890", "role": "buyer",
            "password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "csrf_token": csrf_token(client, "/register")}
    data.update(overrides)
    return client.post("/register", data=data)


@pytest.mark.parametrize("role, landing", [("buyer", "/"), ("producer", "/dashboard")])
def test_register_then_the_emailed_link_logs_in(client, role, landing):
    from marketplace.accounts import tokens

    response = register(client, role=role)
    assert response.status_code == 200 and "Periksa email Anda" in response.get_data(as_text=True)
    user = service.find_user_by_email("sari@example.com")
    assert user.role == role and not user.is_email_verified
    response = client.get(f"/account/verify/{tokens.verification_token(user)}")
    assert response.status_code == 302 and response.headers["Location"] == landing
    assert client.get("/").get_data(as_text=True).count("Keluar") == 1


@pytest.mark.parametrize("overrides, message", [
    ({"email": "not-an-email"}, "email"),
    ({"password": "short", "confirm": "short"}, "10"),
    ({"confirm": "something else entirely"}, "sama"),
    ({"role": "admin"}, "Pilihan tidak valid"),
    ({"name": ""}, "wajib"),
    ({"phone": "<script>alert(1)</script>"}, "angka"),
    ({"name": "x" * 100_000}, "120"),
])
def test_register_refuses_bad_input(client, overrides, message):
    response = register(client, **overrides)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message.lower() in body.lower()
    assert "<script>alert(1)</script>" not in body
    assert service.find_user_by_email("sari@example.com") is None


def test_error_is_tied_to_its_field(client):
    body = register(client, password="short", confirm="short").get_data(as_text=True)
    assert 'aria-describedby="password-hint password-error"' in body
    assert 'id="password-error"' in body


def test_login_and_safe_next(client, auth, make_user):
    user = make_user()
    token = csrf_token(client)
    response = client.post("/login?next=/account/password",
                           data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/account/password"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = client.post(f"/login?next={target}",
                           data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_login_wrong_password(client, auth, make_user):
    user = make_user()
    response = auth.login(user.email, "wrong password!!")
    assert response.status_code == 401
    assert "Email atau kata sandi salah" in response.get_data(as_text=True)
    assert client.get("/account/password").status_code == 302


def test_cookie_copied_before_logout_is_dead_afterwards(app, auth, make_user):
    user = make_user()
    auth.login(user.email)
    stolen = auth.client.get_cookie("session").value
    assert auth.client.get("/account/password").status_code == 200
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/account/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_password_change_logs_out_other_sessions(app, auth, make_user):
    user = make_user()
    other_device = app.test_client()
    Auth = type(auth)
    Auth(other_device).login(user.email)
    assert other_device.get("/account/password").status_code == 200
    auth.login(user.email)
    response = auth.client.post("/account/password", data={
        "current_password": TEST_PASSWORD, "new_password": "brand new password", "confirm": "brand new password",
        "csrf_token": csrf_token(auth.client, "/account/password")})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert auth.client.get("/account/password").status_code == 200  # this device stays in
    assert other_device.get("/account/password").status_code == 302  # the other is out


def test_password_change_wrong_current(auth, make_user):
    user = make_user()
    auth.login(user.email)
    response = auth.client.post("/account/password", data={
        "current_password": "not my password", "new_password": "brand new password",
        "confirm": "brand new password", "csrf_token": csrf_token(auth.client, "/account/password")})
    assert response.status_code == 422
    assert service.authenticate(user.email, TEST_PASSWORD) is user


def test_sixth_failed_login_per_address_gets_429(client, make_user):
    user = make_user()
    token = csrf_token(client)
    for _ in range(5):
        assert client.post("/login", data={"email": user.email, "password": "wrong!!!!!!",
                                           "csrf_token": token}).status_code == 401
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)


def test_failures_from_many_addresses_never_lock_the_owner_out(app, client, make_user):
    """12 wrong passwords from 12 addresses: the owner's right password from a new address still works, while
    a further wrong one is answered slowly instead of at once."""
    import time

    app.config["LOGIN_SLOWDOWN_SECONDS"] = 0.3
    user = make_user("admin")
    token = csrf_token(client)
    for n in range(12):
        response = client.post("/login", data={"email": user.email, "password": "wrong!!!!!!", "csrf_token": token},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 401
    started = time.monotonic()
    response = client.post("/login", data={"email": user.email, "password": "wrong!!!!!!", "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 401 and time.monotonic() - started >= 0.3
    owner = app.test_client()
    response = owner.post("/login", data={"email": user.email.upper(), "password": TEST_PASSWORD,
                                          "csrf_token": csrf_token(owner)}, environ_base={"REMOTE_ADDR": "10.0.2.2"})
    assert response.status_code == 302


def test_failures_count_per_email_and_address(client, make_user):
    """Five wrong passwords for one account from one address stop that pair only: another account's owner
    behind the same address (one carrier's address serves a whole village) still logs in."""
    user, neighbour = make_user(), make_user()
    token = csrf_token(client)
    for _ in range(5):
        client.post("/login", data={"email": user.email, "password": "wrong!!!!!!", "csrf_token": token})
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                       "csrf_token": token}).status_code == 429
    assert client.post("/login", data={"email": neighbour.email, "password": TEST_PASSWORD,
                                       "csrf_token": token}).status_code == 302


def test_429_in_english(client, make_user):
    token = csrf_token(client)
    for _ in range(6):
        response = client.post("/login?lang=en", data={"email": "x@example.com", "password": "wrong!!!!!!",
                                                        "csrf_token": token})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_successful_logins_do_not_count(client, make_user):
    user = make_user()
    for _ in range(7):
        token = csrf_token(client)
        assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                           "csrf_token": token}).status_code == 302


@pytest.mark.parametrize("language", ["en", "id"])
def test_logging_in_remembers_the_language_for_emails(client, make_user, language):
    user = make_user()
    client.set_cookie("lang", language)
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locale == language


def test_an_unknown_language_is_not_remembered(client, make_user):
    user = make_user()
    client.set_cookie("lang", "xx")
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
                headers={"Accept-Language": "fr"})
    db.session.refresh(user)
    assert user.locale == "id"  # Indonesian, the default, since neither the cookie nor the browser names ours


def wrong_current_password(client):
    return client.post("/account/password", data={
        "current_password": "not my password", "new_password": "brand new password",
        "confirm": "brand new password", "csrf_token": csrf_token(client, "/account/password")})


def test_password_change_guesses_are_rate_limited(auth, make_user):
    user = make_user()
    auth.login(user.email)
    statuses = [wrong_current_password(auth.client).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]


def test_ten_wrong_current_passwords_log_the_account_out_everywhere(app, auth, make_user):
    from marketplace.accounts import throttle

    user = make_user()
    other_device = app.test_client()
    type(auth)(other_device).login(user.email)
    auth.login(user.email)
    for _ in range(5):  # a patient guesser's earlier minutes (the per-minute limit allows five a minute)
        assert throttle.record_password_change_failure(user.id) is False
    for _ in range(4):
        assert wrong_current_password(auth.client).status_code == 422
    response = wrong_current_password(auth.client)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "semua perangkat" in auth.client.get("/login").get_data(as_text=True)
    for device in (auth.client, other_device):
        assert device.get("/account/password").status_code == 302
    assert auth.login(user.email).status_code == 302  # the owner, with the password, gets back in
