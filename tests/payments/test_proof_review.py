"""The admins' verification queue: open transfers with their ages and the buyers' proofs; a proof rejected with a
reason tells the buyer by email and leaves the payment open until its deadline; marking received settles once."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders.models import Order
from marketplace.payments import proofs, transfer
from marketplace.payments.proofs import PaymentProof
from marketplace.payments.settle import open_attempt
from tests.conftest import csrf_token
from tests.payments.test_proofs import pdf


@pytest.fixture(autouse=True)
def private_root(app, tmp_path):
    app.config["PRIVATE_MEDIA_ROOT"] = str(tmp_path / "private-media")


@pytest.fixture
def proof(place, make_user, make_product):
    buyer = make_user()
    order = place(buyer, (make_product(stock=3, price_idr=150000), 1))
    payment = transfer.start_transfer(order)
    payment.created_at -= timedelta(hours=5, minutes=7)
    proof = proofs.add_proof(payment, buyer, pdf())
    db.session.commit()
    return proof


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/payments/transfers")})


def _mails(kind):
    return db.session.scalars(select(Notification).where(Notification.kind == kind)).all()


def test_the_queue_shows_each_transfer_with_its_age_and_proofs(client, admin, proof):
    page = client.get("/admin/payments/transfers").get_data(as_text=True)
    assert proof.payment.order.code in page and "5 jam 7 menit" in page
    assert f"/proofs/{proof.id}" in page and "Unduh PDF" in page and "Tolak bukti" in page
    assert client.get(f"/proofs/{proof.id}").data == pdf()


def test_a_rejected_proof_tells_the_buyer_why_and_the_payment_stays_open(client, admin, proof):
    reason = "Nama pengirim <b>tidak</b> sesuai & jumlahnya kurang"
    response = _post(client, f"/admin/payments/proofs/{proof.id}/reject", {"reason": f"  {reason}\n"})
    assert response.status_code == 302
    db.session.refresh(proof)
    assert (proof.state, proof.reason, proof.reviewed_by_id) == ("rejected", reason, admin.id)
    payment = proof.payment
    db.session.refresh(payment)
    assert payment.state == "pending" and open_attempt(payment.order) is payment
    (mail,) = _mails("buyer_proof_rejected")
    assert mail.recipient_id == payment.order.buyer_id and reason in mail.body
    assert payment.order.code in mail.subject and f"{payment.amount_idr:,}".replace(",", ".") in mail.body
    page = client.get("/admin/payments/transfers").get_data(as_text=True)
    assert "Ditolak: Nama pengirim &lt;b&gt;tidak&lt;/b&gt;" in page  # shown as text
    again = _post(client, f"/admin/payments/proofs/{proof.id}/reject", {"reason": "sekali lagi ditolak"})
    assert "sudah diperiksa" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(_mails("buyer_proof_rejected")) == 1


def test_the_buyer_sees_the_reason_and_may_send_another_proof(client, auth, make_user, proof):
    proofs.reject(proof.id, make_user("admin"), "Bukti buram, kirim ulang")
    db.session.commit()
    auth.login(proof.payment.order.buyer.email)
    page = client.get(f"/orders/{proof.payment.order.code}").get_data(as_text=True)
    assert "Bukti transfer Anda ditolak: Bukti buram, kirim ulang" in page and 'name="proof"' in page


@pytest.mark.parametrize("reason", ["", "   ", "abc", "x" * 301])
def test_a_rejection_needs_a_reason(client, admin, proof, reason):
    response = _post(client, f"/admin/payments/proofs/{proof.id}/reject", {"reason": reason})
    assert "alasan penolakan" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.get(PaymentProof, proof.id, populate_existing=True).state == "waiting"
    assert not _mails("buyer_proof_rejected")


def test_rejecting_needs_csrf_and_an_admin(client, auth, make_user, proof):
    auth.login(make_user("admin").email)
    assert client.post(f"/admin/payments/proofs/{proof.id}/reject", data={"reason": "tidak ada"}).status_code == 400
    for role in ("buyer", "producer"):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
        auth.login(make_user(role).email)
        response = _post(client, f"/admin/payments/proofs/{proof.id}/reject", {"reason": "tidak ada dananya"})
        assert response.status_code in (302, 403) and "/admin/payments/transfers" not in response.headers.get(
            "Location", "")
    assert db.session.get(PaymentProof, proof.id, populate_existing=True).state == "waiting"


@pytest.mark.parametrize("proof_id", ["99999", "0"])
def test_rejecting_an_unknown_proof_changes_nothing(client, admin, proof_id):
    response = _post(client, f"/admin/payments/proofs/{proof_id}/reject", {"reason": "tidak ada dananya"})
    assert response.status_code in (302, 404) and not _mails("buyer_proof_rejected")


def test_marking_received_settles_once_and_accepts_the_proof(client, admin, proof):
    payment = proof.payment
    assert _post(client, f"/admin/payments/transfers/{payment.id}/received",
                 {"bank_reference": "BRI 0612 998877"}).status_code == 302
    assert db.session.get(Order, payment.order_id, populate_existing=True).state == "paid"
    db.session.refresh(proof)
    assert (proof.state, proof.reviewed_by_id) == ("accepted", admin.id)
    again = _post(client, f"/admin/payments/transfers/{payment.id}/received", {"bank_reference": "BRI 0612 998877"})
    assert "sudah ditutup" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert proof.payment.order.code not in client.get("/admin/payments/transfers").get_data(as_text=True).split(
        "Mutasi yang belum cocok")[0]
