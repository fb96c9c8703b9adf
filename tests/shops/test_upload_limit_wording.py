"""The upload limit is one pair of figures said in one phrase: the forms' hints, the photo pipeline's refusal,
the resumable upload's refusal, the 413 page and the README all say the same, in Indonesian and in English."""
from pathlib import Path

import pytest
from flask_babel import force_locale

from marketplace.media.limits import MAX_PHOTO_BYTES, MAX_REQUEST_BYTES, upload_limit
from tests.shops.test_offline_api import fresh_token, new_key
from tests.shops.test_views import file, product_form

ROOT = Path(__file__).resolve().parents[2]


def said(app, lang):
    with app.test_request_context(), force_locale(lang):
        return upload_limit()


@pytest.fixture(params=["id", "en"])
def lang(request, client):
    """Every page in this language (the language cookie, as a visitor who switched would have)."""
    client.get(f"/?lang={request.param}")
    return request.param


def test_the_figures_are_the_requests_limit_and_the_phrase_names_them(app):
    assert app.config["MAX_CONTENT_LENGTH"] == MAX_REQUEST_BYTES > MAX_PHOTO_BYTES
    assert said(app, "id") == "maksimal 15 MB per foto dan 16 MB per kiriman"
    assert said(app, "en") == "at most 15 MB per photo and 16 MB per upload"


def test_every_form_hint_and_every_refusal_says_the_same(app, client, shop, logged_in, send, lang):
    phrase = said(app, lang)
    assert phrase in client.get("/dashboard/shop").get_data(as_text=True)
    assert phrase in client.get("/dashboard/products/new").get_data(as_text=True)
    # One photo over its limit, in a request under the request's limit: the pipeline refuses it.
    photo = send("/dashboard/products/new", product_form(photo=file(b"\xff\xd8" + b"\x00" * MAX_PHOTO_BYTES)))
    assert photo.status_code == 422 and phrase in photo.get_data(as_text=True)
    # A request over its limit: the 413 page.
    request = send("/dashboard/products/new", product_form(photo=file(b"\xff" * (MAX_REQUEST_BYTES + 1))))
    assert request.status_code == 413 and phrase in request.get_data(as_text=True)
    # A resumable upload announced too large.
    started = client.post(f"/api/uploads/{new_key()}", json={"size": MAX_PHOTO_BYTES + 1},
                          headers={"X-CSRFToken": fresh_token(client)})
    assert started.status_code == 422 and phrase in started.get_json()["error"]


def test_the_readme_states_the_same_figures():
    readme = (ROOT / "README.md").read_text()
    assert (f"{MAX_PHOTO_BYTES // 2**20} MB per photo and\n{MAX_REQUEST_BYTES // 2**20} MB per request" in readme)
    assert f"client_max_body_size {MAX_REQUEST_BYTES // 2**20}m;" in readme
