"""A shop form refused for another reason keeps the logo chosen: processed once, carried as a token."""
import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.media.service import variant_key
from marketplace.media.uploads import PhotoUpload
from marketplace.shops import service as shops
from tests.shops.images import gif_bytes, jpeg_bytes
from tests.shops.test_views import error_of, file, shop_form


def kept_token(response):
    """The logo token the refused form carries in its hidden field ('' when none)."""
    match = re.search(r'<input id="logo_token" name="logo_token" type="hidden" value="([^"]*)"',
                      response.get_data(as_text=True))
    assert match, "the form has no logo_token field"
    return match.group(1)


def pending_uploads():
    return db.session.scalar(select(func.count()).select_from(PhotoUpload))


@pytest.mark.parametrize("refusal", [{"village_code": ""}, {"whatsapp": "021 555 1234"}, {"name": ""},
                                     {"action": "villages", "village_code": ""}])
def test_a_refused_shop_form_keeps_the_chosen_logo(client, logged_in, send, refusal):
    refused = send("/dashboard/shop", shop_form(logo=file(jpeg_bytes((600, 400)), "logo.jpg"), **refusal))
    assert refused.status_code in (200, 422) and shops.shop_of(logged_in) is None
    token = kept_token(refused)
    upload = db.session.scalar(select(PhotoUpload).where(PhotoUpload.token == token))
    assert upload.is_done and (upload.width, upload.height) == (600, 400)
    body = refused.get_data(as_text=True)
    assert variant_key(upload.content_hash, 320) in body and "ikut tersimpan" in body

    saved = send("/dashboard/shop", shop_form(logo_token=token))   # the file input comes back empty
    assert saved.status_code == 302
    assert shops.shop_of(logged_in).logo_hash == upload.content_hash
    assert pending_uploads() == 0  # the kept upload was used up


def test_a_refused_form_refused_again_still_carries_the_logo(client, logged_in, send):
    token = kept_token(send("/dashboard/shop", shop_form(village_code="", logo=file(jpeg_bytes((300, 300))))))
    again = send("/dashboard/shop", shop_form(village_code="", logo_token=token))
    assert again.status_code == 422 and kept_token(again) == token
    assert send("/dashboard/shop", shop_form(logo_token=token)).status_code == 302
    assert shops.shop_of(logged_in).logo_hash is not None


def test_a_new_file_wins_over_the_kept_logo(client, logged_in, send):
    token = kept_token(send("/dashboard/shop", shop_form(village_code="", logo=file(jpeg_bytes((300, 300))))))
    kept_hash = db.session.scalar(select(PhotoUpload.content_hash).where(PhotoUpload.token == token))
    send("/dashboard/shop", shop_form(logo_token=token, logo=file(jpeg_bytes((500, 500), colour=(9, 99, 200)))))
    assert shops.shop_of(logged_in).logo_hash not in (None, kept_hash)


def test_a_bad_logo_is_refused_and_nothing_is_kept(client, logged_in, send):
    refused = send("/dashboard/shop", shop_form(village_code="", logo=file(gif_bytes(), "logo.jpg")))
    assert refused.status_code == 422 and "Format foto tidak didukung" in error_of(refused, "logo")
    assert kept_token(refused) == "" and pending_uploads() == 0


@pytest.mark.parametrize("token", ["../../etc/passwd", "x" * 100_000, "<script>alert(1)</script>",
                                   "A" * 20, "' OR 1=1 --"])
def test_a_hostile_or_unknown_logo_token_saves_nothing(client, logged_in, send, token):
    response = send("/dashboard/shop", shop_form(logo_token=token))
    assert response.status_code == 422 and shops.shop_of(logged_in) is None
    assert kept_token(response) == "" and "<script>alert" not in response.get_data(as_text=True)


def test_another_producers_kept_logo_cannot_be_taken(client, auth, make_user, logged_in, send):
    token = kept_token(send("/dashboard/shop", shop_form(village_code="", logo=file(jpeg_bytes((300, 300))))))
    auth.logout()
    thief = make_user("producer")
    auth.login(thief.email)
    response = send("/dashboard/shop", shop_form(logo_token=token, name="Toko Lain"))
    assert response.status_code == 422 and shops.shop_of(thief) is None
    assert pending_uploads() == 1
