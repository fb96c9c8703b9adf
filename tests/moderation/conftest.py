"""Moderation fixtures: an admin, photos attached through the catalogue service, a logged-in admin client."""
import hashlib
import uuid
from dataclasses import dataclass

import pytest

from marketplace.extensions import db
from tests.conftest import Auth


@dataclass(frozen=True)
class Photo:
    """What catalogue.add_photo reads from a processed photo (the media pipeline is tested on its own)."""

    content_hash: str
    width: int = 800
    height: int = 800


@pytest.fixture
def admin(make_user):
    """An administrator."""
    return make_user("admin", name="Admin Rahmat")


@pytest.fixture
def add_photo():
    """Attach a photo with a fresh content hash to a listing: add_photo(product) -> content hash."""
    from marketplace.catalogue import service as catalogue

    def add(product):
        content_hash = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        catalogue.add_photo(product, Photo(content_hash))
        db.session.commit()
        return content_hash

    return add


@pytest.fixture
def admin_client(client, admin):
    """The test client, logged in as the admin."""
    response = Auth(client).login(admin.email)
    assert response.status_code == 302
    return client
