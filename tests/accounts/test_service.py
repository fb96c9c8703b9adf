"""Account rules through the real service and database."""
from datetime import datetime, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from marketplace.accounts import service
from marketplace.accounts.models import User
from marketplace.errors import InvalidInput, NotAllowed
from marketplace.shops.models import Shop
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD


def test_register_hashes_with_argon2id_and_normalises_email(app):
    user = service.register_user(email="  Ibu.Sari@Example.COM ", name=" Sari ", phone="0812",
                                 password=TEST_PASSWORD, role="producer")
    assert user.email == "ibu.sari@example.com"
    assert user.name == "Sari"
    assert user.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in user.password_hash



@pytest.mark.parametrize("password", ["short", "123456789", "x" * 257])
def test_register_refuses_bad_passwords(app, password):
    with pytest.raises(InvalidInput):
        service.register_user(email="a@example.com", name="A", phone="", password=password)
    assert service.find_user_by_email("a@example.com") is None


def test_register_refuses_duplicate_email_any_case(app, make_user):
    make_user(email="dup@example.com")
    with pytest.raises(InvalidInput):
        service.register_user(email="DUP@example.com", name="B", phone="", password=TEST_PASSWORD)
    assert db.session.query(User).filter_by(email="dup@example.com").count() == 1


def test_register_refuses_unknown_role(app):
    with pytest.raises(InvalidInput):
        service.register_user(email="r@example.com", name="R", phone="", password=TEST_PASSWORD, role="root")


def test_authenticate(app, make_user):
    user = make_user(email="login@example.com")
    assert service.authenticate("LOGIN@example.com", TEST_PASSWORD) is user
    assert service.authenticate("login@example.com", TEST_PASSWORD + "x") is None
    assert service.authenticate("nobody@example.com", TEST_PASSWORD) is None


def test_authenticate_upgrades_weaker_hashes(app, make_user):
    user = make_user()
    old_hash = user.password_hash
    app.config.update(ARGON2_MEMORY_KIB=2048)
    assert service.authenticate(user.email, TEST_PASSWORD) is user
    assert user.password_hash != old_hash and "m=2048" in user.password_hash


def test_change_password_rotates_session_token(app, make_user):
    user = make_user()
    token = user.session_token
    with pytest.raises(NotAllowed):
        service.change_password(user, "wrong password", "a new long password")
    assert user.session_token == token
    service.change_password(user, TEST_PASSWORD, "a new long password")
    assert user.session_token != token
    assert service.authenticate(user.email, "a new long password") is user


def test_session_loader_checks_token(app, make_user):
    user = make_user()
    assert service.load_user_from_session(user.get_id()) is user
    assert service.load_user_from_session(f"{user.id}:forged") is None
    assert service.load_user_from_session(str(user.id)) is None
    assert service.load_user_from_session("abc:def") is None
    assert service.load_user_from_session("") is None


def test_the_session_loader_gives_the_user_an_orm_query_would(app, make_user, make_shop, count_queries):
    """The loader reads the row by the driver (driver_reads.driver_instance): the user must be the same as one an
    ORM query loads, in the session's identity map, with every value of its proper type."""
    owner = make_user("producer", name="Pak Darto")
    owner.email_verified_at = datetime(2026, 12, 1, 3, 4, 5, tzinfo=timezone.utc)
    make_shop(owner=owner)
    db.session.commit()
    stored, user_id = owner.get_id(), owner.id
    expected = {column.key: getattr(owner, column.key) for column in User.__table__.columns}
    db.session.expunge_all()
    (user, loaded) = count_queries(lambda: service.load_user_from_session(stored))
    assert loaded == 1 and user in db.session and not db.session.dirty
    assert {column.key: getattr(user, column.key) for column in User.__table__.columns} == expected
    assert user.created_at.tzinfo is not None and user.email_verified_at.tzinfo is not None
    # In the identity map: a relation to the user resolves to this very object.
    assert user.is_producer and db.session.scalars(select(Shop).where(Shop.owner_id == user_id)).one().owner is user
    # The same identity in the session is the same object; one a commit expired is refreshed by the same read.
    assert service.load_user_from_session(stored) is user
    db.session.commit()
    again, reads = count_queries(lambda: service.load_user_from_session(stored))
    assert again is user and reads == 1 and user.name == "Pak Darto"
    _name, more = count_queries(lambda: (user.name, user.created_at, user.session_token))
    assert more == 0
    # A change to it is written like any other.
    user.name = "Pak Darto Wibowo"
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(User, user_id).name == "Pak Darto Wibowo"

def test_production_cost_meets_owasp_asvs(app):
    """The default settings (not the cheap test ones) give argon2id m=19 MiB, t=2, p=1."""
    from marketplace import create_app

    production_like = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    with production_like.app_context():
        assert "$argon2id$v=19$m=19456,t=2,p=1$" in service.hash_password(TEST_PASSWORD)


FIRST_QUERY = """
import sys
from sqlalchemy import insert
from marketplace import create_app
from marketplace.accounts import service
from marketplace.accounts.models import User
from marketplace.extensions import db

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x", "MEDIA_ROOT": sys.argv[2],
                  "SEARCH_INDEX_DIR": sys.argv[2] + "/index"})
with app.app_context():
    db.create_all()
    db.session.execute(insert(User.__table__).values(
        id=7, email="pertama@example.com", name="Ibu Pertama", phone="", role="buyer", password_hash="x",
        session_token="token", locale="id"))
    db.session.commit()
    print(service.load_user_from_session("7:token").name)
"""


def test_a_process_whose_first_query_loads_a_user(tmp_path):
    """A new gunicorn worker's first request may be a logged-in user's: the loader must not rely on an earlier
    ORM query having set the mappers up."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FIRST_QUERY, f"sqlite:///{tmp_path}/first.db", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "Ibu Pertama"
