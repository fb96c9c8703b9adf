"""Proofs of transfer: a photo is cleaned like any photo and a PDF kept only when it is a plain PDF, both stored
privately (never under the public media, never public in the bucket) and sent back as attachments only to the
order's buyer and to admins. Hostile uploads are refused and leave no row and no file."""
import io
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.payments import proofs, transfer
from marketplace.payments.proofs import PaymentProof
from marketplace.payments.settle import open_attempt
from tests.conftest import csrf_token
from tests.media import images
from tests.shops.conftest import multipart
from tests.media.test_s3 import s3_server  # noqa: F401 (a moto S3 server, for the bucket test)


def pdf(extra=b""):
    """A small, plain PDF (one empty page), with extra bytes inside its body."""
    return (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
            b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n" + extra +
            b"xref\n0 4\n0000000000 65535 f \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n180\n%%EOF\n")


@pytest.fixture(autouse=True)
def private_root(app, tmp_path):
    app.config["PRIVATE_MEDIA_ROOT"] = str(tmp_path / "private-media")
    return tmp_path / "private-media"


@pytest.fixture
def buyer(make_user):
    return make_user()


@pytest.fixture
def transfer_order(buyer, place, make_product):
    order = place(buyer, (make_product(stock=3, price_idr=150000), 1))
    transfer.start_transfer(order)
    db.session.commit()
    return order


@pytest.fixture
def signed_in(client, auth, buyer):
    auth.login(buyer.email)
    return buyer


def _send(client, order, data, filename="bukti.jpg", token=True):
    form = {"proof": (io.BytesIO(data), filename)}
    if token:
        form["csrf_token"] = csrf_token(client, f"/orders/{order.code}")
    boundary, body = multipart(form)
    return client.post(f"/orders/{order.code}/proof", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _files(root):
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def _proof():
    return db.session.scalar(select(PaymentProof))


def test_a_photo_proof_is_cleaned_kept_privately_and_sent_back_to_its_buyer(client, signed_in, transfer_order,
                                                                             private_root, tmp_path, app):
    photo = images.phone_jpeg(tmp_path, 1200, 1600).read_bytes()
    response = _send(client, transfer_order, photo)
    assert response.status_code == 302 and response.headers["Location"].endswith("#transfer")
    proof = _proof()
    assert (proof.content_type, proof.state, proof.uploaded_by_id) == ("image/webp", "waiting", signed_in.id)
    assert [path.suffix for path in _files(private_root)] == [".webp"]
    assert not _files(app.config["MEDIA_ROOT"])  # nothing under the public media
    page = client.get(f"/orders/{transfer_order.code}").get_data(as_text=True)
    assert "Bukti terkirim" in page and f"/proofs/{proof.id}" in page
    sent = client.get(f"/proofs/{proof.id}")
    assert sent.status_code == 200 and sent.mimetype == "image/webp"
    assert sent.headers["Content-Disposition"] == f'attachment; filename="bukti-{proof.id}.webp"'
    assert sent.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in sent.headers["Cache-Control"]
    assert images.CAMERA_MAKE.encode() not in sent.data  # the phone's EXIF (and its GPS) did not survive
    with Image.open(io.BytesIO(sent.data)) as kept:
        assert kept.format == "WEBP" and not kept.getexif()


def test_a_pdf_proof_is_kept_as_sent_and_only_downloaded(client, signed_in, transfer_order, private_root):
    assert _send(client, transfer_order, pdf(), "bukti.pdf").status_code == 302
    proof = _proof()
    sent = client.get(f"/proofs/{proof.id}")
    assert (sent.status_code, sent.mimetype, sent.data) == (200, "application/pdf", pdf())
    assert sent.headers["Content-Disposition"].startswith("attachment;")
    assert sent.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in sent.headers["Content-Security-Policy"]


HOSTILE = {
    "html renamed .pdf": (images.HTML, "bukti.pdf"),
    "html pretending to be a pdf": (b"%PDF-1.4\n" + images.HTML, "bukti.pdf"),
    "pdf and html polyglot": (pdf(b"<html><body><script>alert(1)</script></body></html>\n"), "bukti.pdf"),
    "pdf with a script": (pdf(b"4 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"), "bukti.pdf"),
    "pdf carrying a file": (pdf(b"4 0 obj\n<< /Type /EmbeddedFile >>\nendobj\n"), "bukti.pdf"),
    "truncated pdf": (pdf()[:-40], "bukti.pdf"),
    "pdf of 6 MB": (pdf(b"% " + b"x" * (6 * 1024 * 1024) + b"\n"), "bukti.pdf"),
    "text": (b"transfer sudah ya kak", "bukti.jpg"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "bukti.svg"),
    "empty": (b"", "bukti.jpg"),
    "zip": (b"PK\x03\x04" + b"\x00" * 200, "bukti.jpg"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_upload_is_refused_and_leaves_nothing(client, signed_in, transfer_order, private_root, name):
    data, filename = HOSTILE[name]
    response = _send(client, transfer_order, data, filename)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in page and "<script>alert" not in page
    assert _proof() is None and not _files(private_root)


@pytest.mark.parametrize("maker", [images.gif_named_jpg, images.truncated_jpeg, images.bomb_png])
def test_a_broken_or_foreign_image_is_refused(client, signed_in, transfer_order, private_root, tmp_path, maker):
    _send(client, transfer_order, maker(tmp_path).read_bytes())
    assert _proof() is None and not _files(private_root)


def test_a_jpeg_carrying_html_keeps_only_its_pixels(client, signed_in, transfer_order, tmp_path):
    _send(client, transfer_order, images.jpeg_with_html(tmp_path).read_bytes(), "bukti.html")
    sent = client.get(f"/proofs/{_proof().id}")
    assert sent.mimetype == "image/webp" and b"<script" not in sent.data and b"<html" not in sent.data


def test_fifty_megabytes_are_refused_before_anything_is_stored(client, signed_in, transfer_order, private_root):
    response = _send(client, transfer_order, b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024))
    assert response.status_code == 413 and _proof() is None and not _files(private_root)


def test_without_csrf_nothing_is_kept(client, signed_in, transfer_order, private_root):
    assert _send(client, transfer_order, pdf(), "bukti.pdf", token=False).status_code == 400
    assert _proof() is None and not _files(private_root)


def test_a_proof_for_an_order_not_waiting_for_money_is_refused(client, signed_in, place, make_product):
    order = place(signed_in, (make_product(stock=3), 1))  # no transfer opened: nothing to prove
    db.session.commit()
    response = _send(client, order, pdf(), "bukti.pdf")
    assert "tidak menunggu" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _proof() is None


def test_a_buyer_sends_at_most_five_proofs_per_payment(client, signed_in, transfer_order):
    for number in range(proofs.MAX_PROOFS_PER_PAYMENT + 1):
        _send(client, transfer_order, pdf(f"% {number}\n".encode()), "bukti.pdf")
    assert db.session.scalar(select(func.count()).select_from(PaymentProof)) == proofs.MAX_PROOFS_PER_PAYMENT


@pytest.fixture
def stored_proof(transfer_order, buyer):
    proof = proofs.add_proof(open_attempt(transfer_order), buyer, pdf())
    db.session.commit()
    return proof


@pytest.mark.parametrize("who, status", [("another buyer", 404), ("producer", 404), ("admin", 200),
                                         ("the buyer", 200)])
def test_only_the_buyer_and_admins_fetch_a_proof(client, auth, make_user, buyer, stored_proof, who, status):
    user = {"another buyer": lambda: make_user(), "producer": lambda: make_user("producer"),
            "admin": lambda: make_user("admin"), "the buyer": lambda: buyer}[who]()
    auth.login(user.email)
    response = client.get(f"/proofs/{stored_proof.id}")
    assert response.status_code == status and (status == 404) == (response.data != pdf())


def test_anonymous_visitors_are_sent_to_log_in(client, stored_proof):
    response = client.get(f"/proofs/{stored_proof.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"] and pdf() not in response.data


@pytest.mark.parametrize("proof_id", ["0", "99999", "-1", "1.5", "x" * 300, "2147483648"])
def test_unknown_proofs_are_not_found(client, signed_in, proof_id):
    assert client.get(f"/proofs/{proof_id}").status_code == 404


def test_another_buyer_cannot_send_a_proof_for_someone_elses_order(client, auth, make_user, transfer_order):
    auth.login(make_user().email)
    assert _send(client, transfer_order, pdf(), "bukti.pdf").status_code == 404 and _proof() is None


def test_with_s3_proofs_stay_private_in_the_bucket(app, s3_server, client, signed_in, transfer_order):  # noqa: F811
    _server, endpoint, bucket = s3_server
    app.config.update(MEDIA_STORAGE="s3", MEDIA_S3_BUCKET=bucket, MEDIA_S3_REGION="us-east-1",
                      MEDIA_S3_ENDPOINT_URL=endpoint, MEDIA_PUBLIC_URL=f"{endpoint}/{bucket}")
    assert _send(client, transfer_order, pdf(), "bukti.pdf").status_code == 302
    proof = _proof()
    assert proof.storage_key.startswith("private/proofs/")
    with pytest.raises(urllib.error.HTTPError) as refused:  # a browser asking the bucket directly
        urllib.request.urlopen(f"{endpoint}/{bucket}/{proof.storage_key}")
    assert refused.value.code == 403
    assert client.get(f"/media/{proof.storage_key}").status_code in (301, 404)
    sent = client.get(f"/proofs/{proof.id}")
    assert sent.status_code == 200 and sent.data == pdf()
