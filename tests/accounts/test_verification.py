"""Registration answers the same for new and known addresses; addresses are verified by a signed, expiring link
before the marketplace mails them anything else; checkout asks for it; names in emails carry no links."""
import re

import pytest
from sqlalchemy import select

from marketplace.accounts import service, tokens
from marketplace.extensions import db
from marketplace.notifications import service as notifications
from marketplace.notifications.models import Notification
from marketplace.notifications.names import email_name
from tests.conftest import TEST_PASSWORD, csrf_token


def register(client, **overrides):
    data = {"name": "Ibu Sari", "email": "sari@example.com", "phone": "0812 3456 7890", "role": "buyer",
            "password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "csrf_token": csrf_token(client, "/register")}
    data.update(overrides)
    return client.post("/register", data=data)


def mails_to(email):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.to_email == email)
                              .order_by(Notification.id)).all()


def link_in(body, path):
    return re.search(rf"http://localhost{path}\S+", body).group(0)


def test_registration_answers_the_same_whether_or_not_the_address_has_an_account(client, make_user):
    owner = make_user(email="known@example.com")
    fresh = register(client, email="new@example.com")
    known = register(client, email="KNOWN@example.com")
    assert fresh.status_code == known.status_code == 200
    pages = [response.get_data(as_text=True).replace("new@example.com", "X").replace("known@example.com", "X")
             for response in (fresh, known)]
    assert pages[0] == pages[1]
    assert "sudah terdaftar" not in pages[1]
    assert client.get("/account/password").status_code == 302  # nobody is logged in either way
    (to_owner,) = mails_to(owner.email)
    assert to_owner.kind == "account_already_registered" and "/account/forgot" in to_owner.body
    (to_new,) = mails_to("new@example.com")
    assert to_new.kind == "account_verify_email"


def test_the_verification_link_verifies_and_logs_in_once(client, app):
    register(client, email="sari@example.com")
    user = service.find_user_by_email("sari@example.com")
    assert not user.is_email_verified
    link = link_in(mails_to(user.email)[0].body, "/account/verify/")
    response = client.get(link)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_email_verified
    assert client.get("/account/password").status_code == 200
    stranger = app.test_client()
    stranger.get(link)  # a second use verifies nothing new and logs nobody in
    assert stranger.get("/account/password").status_code == 302


@pytest.mark.parametrize("tamper", ["forged", "expired", "other address", "huge"])
def test_a_bad_verification_link_changes_nothing(client, app, make_user, tamper, monkeypatch):
    user = make_user(verified=False)
    token = tokens.verification_token(user)
    if tamper == "forged":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif tamper == "expired":
        monkeypatch.setattr(tokens, "VERIFY_MAX_AGE_SECONDS", -1)
    elif tamper == "other address":
        user.email = "moved@example.com"
        db.session.commit()
    else:
        token = "x" * 100_000
    response = client.get(f"/account/verify/{token}")
    assert response.status_code in (400, 404)
    db.session.refresh(user)
    assert not user.is_email_verified
    assert client.get("/account/password").status_code == 302


def test_unverified_addresses_get_no_order_emails(make_user, make_order):
    buyer = make_user(verified=False)
    make_order(buyer=buyer, paid=False)
    assert mails_to(buyer.email) == []
    verified = make_user()
    make_order(buyer=verified, paid=False)
    assert [mail.kind for mail in mails_to(verified.email)] == ["buyer_placed"]


def test_checkout_asks_for_verification_first(client, auth, make_user, make_product):
    buyer = make_user(verified=False)
    product = make_product()
    auth.login(buyer.email)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1, "csrf_token": csrf_token(client, "/")})
    response = client.get("/checkout")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/verify?next=")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kirim ulang tautan verifikasi" in page
    response = client.post(response.headers["Location"], data={"csrf_token": csrf_token(client, "/account/verify")})
    assert response.status_code == 302
    assert [mail.kind for mail in mails_to(buyer.email)] == ["account_verify_email"]
    client.get(link_in(mails_to(buyer.email)[0].body, "/account/verify/"))
    assert client.get("/checkout").status_code == 200


@pytest.mark.parametrize("name, shown", [
    ("Ibu Sari", "Ibu Sari"),
    ("Menang hadiah di https://evil.example/klaim sekarang", "Menang hadiah di sekarang"),
    ("klik www.evil.example atau evil.example/promo", "klik atau"),
    ("hubungi spam@evil.example", "hubungi"),
    ("Pak Budi, S.Pd.", "Pak Budi, S.Pd."),
    ("x" * 120, "x" * 39 + "…"),
    ("https://evil.example", "Pelanggan"),
])
def test_names_in_emails_are_cut_and_carry_no_links(app, name, shown):
    with app.test_request_context():
        assert email_name(name) == shown


def test_a_greeting_by_a_hostile_name_is_cleaned_in_the_email(make_user, make_order):
    buyer = make_user(name="Promo " + "besar " * 14 + "https://evil.example/klaim")  # 116 of the 120 allowed
    make_order(buyer=buyer, paid=False)
    (mail,) = mails_to(buyer.email)
    greeting = mail.body.splitlines()[0]
    assert "evil" not in mail.body and len(greeting) <= len("Halo ,") + 40


def test_verification_mails_are_not_repeated_within_ten_minutes(app, make_user):
    user = make_user(verified=False)
    service.send_verification(user)
    service.send_verification(user)
    db.session.commit()
    assert len(mails_to(user.email)) == 1


def test_account_messages_need_no_verified_address(app, make_user):
    user = make_user(verified=False)
    notifications.account_message("password_reset", user, "reset:test", link="http://localhost/x")
    db.session.commit()
    assert [mail.kind for mail in mails_to(user.email)] == ["account_password_reset"]
