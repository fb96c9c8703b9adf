"""What a login or logout does to the secrets a browser holds: the CSRF token."""
from tests.conftest import TEST_PASSWORD, csrf_token


def test_csrf_token_from_before_login_is_refused_after_it(client, make_user):
    user = make_user()
    before = csrf_token(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    refused = client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400 and "kedaluwarsa" in refused.get_data(as_text=True)
    assert client.get("/account/password").status_code == 200  # still logged in
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302


def test_csrf_token_from_before_logout_is_refused_after_it(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    logged_in_token = csrf_token(client, "/account/password")
    assert client.post("/logout", data={"csrf_token": logged_in_token}).status_code == 302
    refused = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                          "csrf_token": logged_in_token})
    assert refused.status_code == 400
    assert client.get("/account/password").status_code == 302  # still logged out
