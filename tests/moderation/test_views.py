"""The admin screens, driven through HTTP by a logged-in admin."""
import html
import re
from dataclasses import fields, replace

import pytest
from sqlalchemy import func, select

from marketplace.catalogue import service as catalogue
from marketplace.extensions import db
from marketplace.moderation import service
from marketplace.moderation.models import ModerationDecision, Report
from marketplace.notifications.models import Notification
from tests.conftest import csrf_token


def token(client):
    return csrf_token(client, "/admin/toko")


def decision_count():
    return db.session.scalar(select(func.count()).select_from(ModerationDecision))


def fresh(obj):
    db.session.refresh(obj)
    return obj


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": token(client)})


# ---- review queue


def test_queue_shows_everything_needed_to_decide(admin_client, make_product, add_photo):
    product = make_product(status="draft", title="Amplang ikan pipih", category="kerupuk-amplang",
                           pirt_number="206640201012345", price_idr=27500)
    photo = add_photo(product)
    catalogue.submit_product(product)
    db.session.commit()
    body = admin_client.get("/admin/antrean").get_data(as_text=True)
    for expected in ("Amplang ikan pipih", "Rp27.500", "Kerupuk &amp; amplang", "206640201012345",
                     product.shop.name, product.shop.owner.email, photo, "Tenggarong"):
        assert expected in body, expected
    assert f'value="{product.id}" form="bulk-approve"' in body


def test_approve_from_the_queue(admin_client, admin, make_product):
    product = make_product(status="pending", title="Gula aren cetak")
    response = post(admin_client, f"/admin/produk/{product.id}/setujui")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/antrean"
    assert fresh(product).status == "approved"
    assert "Gula aren cetak\u201d disetujui" in admin_client.get("/admin/antrean").get_data(as_text=True)
    decision = db.session.scalars(select(ModerationDecision).filter_by(product_id=product.id)).one()
    assert decision.actor_id == admin.id and not decision.automatic


@pytest.mark.parametrize("target, landing", [("/admin/produk/{id}", "/admin/produk/{id}"),
                                             ("//evil.example/", "/admin/antrean"),
                                             ("https://evil.example/", "/admin/antrean")])
def test_approve_returns_only_to_pages_of_this_site(admin_client, make_product, target, landing):
    product = make_product(status="pending")
    response = post(admin_client, f"/admin/produk/{product.id}/setujui?next={target.format(id=product.id)}")
    assert response.headers["Location"] == landing.format(id=product.id)


def test_approving_twice_says_why(admin_client, make_product):
    product = make_product(status="approved")
    before = decision_count()
    response = post(admin_client, f"/admin/produk/{product.id}/setujui")
    assert response.status_code == 409
    assert "Produk ini sudah disetujui." in response.get_data(as_text=True)
    assert decision_count() == before


def test_reject_with_a_reason_from_the_list(admin_client, make_product):
    product = make_product(status="pending")
    response = post(admin_client, f"/admin/produk/{product.id}/tolak", reason="unclear_photo",
                    note="Foto kemasan buram.")
    assert response.status_code == 302
    assert fresh(product).status == "rejected"
    assert product.rejection_reason == "Foto kurang jelas: Foto kemasan buram."


@pytest.mark.parametrize("data, message", [
    ({"reason": "other", "note": "   "}, "Tuliskan alasannya"),
    ({"reason": "<script>alert(1)</script>", "note": "x"}, "reason-error"),
    ({"reason": "unclear_photo", "note": "x" * 100_000}, "2000"),
    ({"note": "tanpa alasan"}, "reason-error"),
])
def test_reject_refuses_bad_input_and_changes_nothing(admin_client, make_product, data, message):
    product = make_product(status="pending")
    before = decision_count()
    response = post(admin_client, f"/admin/produk/{product.id}/tolak", **data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and "<script>alert(1)</script>" not in body
    assert fresh(product).status == "pending" and decision_count() == before


def test_rejecting_an_approved_listing_is_refused(admin_client, make_product):
    product = make_product(status="approved")
    response = post(admin_client, f"/admin/produk/{product.id}/tolak", reason="unclear_photo")
    assert response.status_code == 409 and "tidak dapat ditolak" in response.get_data(as_text=True)
    assert fresh(product).status == "approved"


def test_bulk_approve_in_one_post(admin_client, make_product):
    first, second = make_product(status="pending"), make_product(status="pending")
    already = make_product(status="approved")
    response = admin_client.post("/admin/antrean/setujui", data={
        "product_ids": [str(first.id), str(second.id), str(already.id)], "csrf_token": token(admin_client)})
    assert response.status_code == 302
    assert fresh(first).status == fresh(second).status == "approved"
    body = admin_client.get("/admin/antrean").get_data(as_text=True)
    assert "2 produk disetujui." in body and f"Produk #{already.id} tidak disetujui" in body


@pytest.mark.parametrize("ids", [[], ["abc"], ["-1"], ["0"], [str(10**20)], ["1; DROP TABLE product"]])
def test_bulk_approve_refuses_a_bad_selection(admin_client, make_product, ids):
    product = make_product(status="pending")
    before = decision_count()
    response = admin_client.post("/admin/antrean/setujui", data={"product_ids": ids + [str(product.id)] * bool(ids),
                                                                 "csrf_token": token(admin_client)})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert fresh(product).status == "pending" and decision_count() == before


# ---- changed since approval


def edit(product, **changes):
    current = {field.name: getattr(product, field.name) for field in fields(catalogue.ProductDetails)}
    catalogue.update_product(product, catalogue.ProductDetails(**{**current, **changes}))
    db.session.commit()


def form_action(body, path):
    """The action of the page's form posting to path (query string included), as the browser would send it."""
    return html.unescape(re.search(rf'action="({re.escape(path)}[^"]*)"', body).group(1))


def test_changed_listing_shows_old_beside_new_and_is_confirmed(admin_client, client, make_product):
    product = make_product(title="Madu kelulut 250 ml")
    edit(product, title="Madu kelulut super <b>obat</b>")
    body = admin_client.get("/admin/berubah").get_data(as_text=True)
    assert "Madu kelulut 250 ml" in body and "Madu kelulut super &lt;b&gt;obat&lt;/b&gt;" in body
    confirm = form_action(body, f"/admin/produk/{product.id}/konfirmasi")
    response = post(admin_client, confirm)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/berubah"
    product = fresh(product)
    assert not product.changed_since_approval and product.title == "Madu kelulut super <b>obat</b>"
    assert product.pending_edit is None and product.slug == "madu-kelulut-super-b-obat-b"
    assert client.get(f"/toko/{product.shop.slug}/{product.slug}").status_code == 200
    response = post(admin_client, confirm)
    assert response.status_code == 409 and "tidak berubah sejak disetujui" in response.get_data(as_text=True)


def test_a_change_edited_again_after_the_admin_looked_is_not_confirmed_blind(admin_client, make_product):
    product = make_product(title="Madu kelulut 250 ml")
    edit(product, title="Madu kelulut 250 ml asli")
    confirm = form_action(admin_client.get(f"/admin/produk/{product.id}").get_data(as_text=True),
                          f"/admin/produk/{product.id}/konfirmasi")
    catalogue.update_product(product, replace(catalogue.ProductDetails(**{
        field.name: getattr(product, field.name) for field in fields(catalogue.ProductDetails)}),
        title="Madu kelulut 250 ml asli", description="Menyembuhkan segala penyakit."))
    db.session.commit()
    for url in (confirm, f"/admin/produk/{product.id}/konfirmasi"):
        response = post(admin_client, url)
        assert response.status_code == 409 and "mengubah produk ini lagi" in response.get_data(as_text=True)
    product = fresh(product)
    assert product.title == "Madu kelulut 250 ml" and product.description == "Madu asli."
    assert product.pending_edit.description == "Menyembuhkan segala penyakit."


def test_a_rejected_change_leaves_the_approved_version_and_tells_the_producer(admin_client, client, auth,
                                                                              make_product):
    product = make_product(title="Madu kelulut 250 ml")
    edit(product, title="Madu kelulut obat kanker")
    body = admin_client.get("/admin/berubah").get_data(as_text=True)
    reject = form_action(body, f"/admin/produk/{product.id}/tolak-perubahan")
    response = post(admin_client, reject, reason="other")  # "other" needs the reason written out
    assert response.status_code == 422 and fresh(product).pending_edit is not None
    response = post(admin_client, reject, reason="other", note="Klaim kesehatan tidak boleh.")
    assert response.status_code == 302
    product = fresh(product)
    assert product.title == "Madu kelulut 250 ml" and product.pending_edit is None and product.is_public
    assert not product.changed_since_approval and product.rejection_reason == "Klaim kesehatan tidak boleh."
    [told] = db.session.scalars(select(Notification).where(Notification.kind == "producer_listing_change_rejected"))
    assert "Klaim kesehatan tidak boleh." in told.body and "Madu kelulut 250 ml" in told.body
    assert "obat kanker" not in client.get(f"/toko/{product.shop.slug}/{product.slug}").get_data(as_text=True)
    auth.login(product.shop.owner.email)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Perubahan terakhir Anda ditolak" in dashboard and "Klaim kesehatan tidak boleh." in dashboard


def test_changed_regulation_number_is_shown_old_beside_new(admin_client, make_product):
    product = make_product(pirt_number="206640201012345")
    edit(product, pirt_number="206640201099999")
    body = admin_client.get(f"/admin/produk/{product.id}").get_data(as_text=True)
    row = body[body.index("Nomor P-IRT"):]
    row = row[:row.index("</tr>")]
    assert "berubah" in row and row.index("206640201012345") < row.index("206640201099999")


def test_changed_listing_is_unpublished_with_a_reason(admin_client, make_product):
    product = make_product()
    edit(product, description="Menyembuhkan segala penyakit.")
    response = post(admin_client, f"/admin/produk/{product.id}/turunkan", reason="other",
                    note="Klaim kesehatan tidak boleh.")
    assert response.status_code == 302
    assert fresh(product).status == "rejected" and product.rejection_reason == "Klaim kesehatan tidak boleh."
    assert admin_client.get(f"/toko/{product.shop.slug}/{product.slug}").status_code == 200  # admins still see it
    admin_client.post("/logout", data={"csrf_token": token(admin_client)})
    assert admin_client.get(f"/toko/{product.shop.slug}/{product.slug}").status_code == 404


def test_listing_page_shows_its_whole_history(admin_client, admin, make_shop, make_product):
    shop = make_shop()
    service.set_trusted(shop, admin, True)
    product = make_product(shop=shop, status="pending")
    edit(product, title="Judul baru sekali")
    service.unpublish_product(product, admin, "Klaim berlebihan")
    db.session.commit()
    body = admin_client.get(f"/admin/produk/{product.id}").get_data(as_text=True)
    history = body.split("Riwayat keputusan")[1]
    assert "Otomatis" in history and "Admin Rahmat" in history and "Klaim berlebihan" in history
    assert history.index("Diturunkan") < history.index("Disetujui")  # newest first


# ---- shops


def test_shop_search(admin_client, make_shop):
    make_shop(name="Madu Kelulut Sumiati", district_code="64.02.02")
    make_shop(name="Amplang Rusdi", district_code="64.02.04")
    body = admin_client.get("/admin/toko?q=loa+kulu").get_data(as_text=True)
    assert "Madu Kelulut Sumiati" in body and "Amplang Rusdi" not in body
    assert "Amplang Rusdi" in admin_client.get("/admin/toko?q=amplang-rusdi").get_data(as_text=True)


@pytest.mark.parametrize("query", ["q=" + "x" * 1000, "status=deleted", "page=-4", "page=abc"])
def test_shop_search_refuses_hostile_filters(admin_client, query):
    response = admin_client.get("/admin/toko?" + query)
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/admin/toko?q=%00", "/admin/toko?q=a%00b%25", "/admin/audit?shop=%00%27"])
def test_control_characters_in_filters_are_harmless(admin_client, path):
    assert admin_client.get(path).status_code in (200, 422)


def test_shop_search_escapes_what_it_echoes(admin_client):
    response = admin_client.get("/admin/toko?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.status_code == 200 and "<script>alert(1)" not in response.get_data(as_text=True)


def test_suspend_and_reinstate_a_shop(admin_client, make_shop, make_product):
    shop = make_shop()
    product = make_product(shop=shop)
    page = f"/toko/{shop.slug}/{product.slug}"
    response = post(admin_client, f"/admin/toko/{shop.id}/bekukan", reason="Menjual barang palsu.")
    assert response.status_code == 302 and fresh(shop).status == "suspended"
    assert "Menjual barang palsu." in admin_client.get(f"/admin/toko/{shop.id}").get_data(as_text=True)
    visitor = admin_client.application.test_client()
    assert visitor.get(page).status_code == 404
    response = post(admin_client, f"/admin/toko/{shop.id}/bekukan", reason="Lagi")
    assert response.status_code == 409 and "sudah dibekukan" in response.get_data(as_text=True)
    assert post(admin_client, f"/admin/toko/{shop.id}/pulihkan").status_code == 302
    assert fresh(shop).status == "active" and visitor.get(page).status_code == 200
    response = post(admin_client, f"/admin/toko/{shop.id}/pulihkan")
    assert response.status_code == 409 and "tidak sedang dibekukan" in response.get_data(as_text=True)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_suspension_needs_a_reason(admin_client, make_shop, reason):
    shop = make_shop()
    before = decision_count()
    response = post(admin_client, f"/admin/toko/{shop.id}/bekukan", reason=reason)
    assert response.status_code == 422 and 'id="reason-error"' in response.get_data(as_text=True)
    assert fresh(shop).status == "active" and decision_count() == before


def test_trust_on_and_off(admin_client, make_shop):
    shop = make_shop()
    assert post(admin_client, f"/admin/toko/{shop.id}/percayai").status_code == 302
    assert fresh(shop).trusted
    assert post(admin_client, f"/admin/toko/{shop.id}/percayai").status_code == 409
    assert post(admin_client, f"/admin/toko/{shop.id}/cabut-tepercaya").status_code == 302
    assert not fresh(shop).trusted
    history = admin_client.get(f"/admin/toko/{shop.id}").get_data(as_text=True)
    assert "Ditandai tepercaya" in history and "Tanda tepercaya dicabut" in history


# ---- reports


def reports_of(product=None, shop=None):
    query = select(Report)
    query = query.filter_by(product_id=product.id) if product else query.filter_by(shop_id=shop.id, product_id=None)
    db.session.expire_all()
    return db.session.scalars(query).all()


def test_open_reports_are_shown_grouped_and_escaped(admin_client, make_product):
    product = make_product(title="Madu palsu")
    service.file_report(reason="counterfeit", text="<img src=x onerror=alert(1)>", address_hash="1" * 64,
                        product=product)
    service.file_report(reason="scam", address_hash="2" * 64, product=product)
    db.session.commit()
    body = admin_client.get("/admin/laporan").get_data(as_text=True)
    assert "Madu palsu" in body and "2 laporan dari 2 pengirim" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<img src=x" not in body


@pytest.mark.parametrize("action, data, outcome", [
    ("dismiss", {}, ("approved", "active", "dismissed")),
    ("unpublish", {"reason": "prohibited"}, ("rejected", "active", "unpublished")),
    ("suspend", {"note": "Penipuan berulang."}, ("approved", "suspended", "suspended")),
])
def test_resolving_the_reports_of_a_listing(admin_client, make_product, action, data, outcome):
    product = make_product()
    service.file_report(reason="scam", address_hash="1" * 64, product=product)
    service.file_report(reason="scam", address_hash="2" * 64, product=product)
    db.session.commit()
    response = post(admin_client, f"/admin/laporan/produk/{product.id}", action=action, **data)
    assert response.status_code == 302, response.get_data(as_text=True)
    reports = reports_of(product=product)
    assert (product.status, product.shop.status, reports[0].resolution) == outcome
    assert all(report.status == "resolved" and report.decision_id for report in reports)
    assert "Tidak ada laporan terbuka." in admin_client.get("/admin/laporan").get_data(as_text=True)


def test_suspending_from_a_shop_report_closes_every_report_about_the_shop(admin_client, make_product):
    product = make_product()
    service.file_report(reason="scam", address_hash="1" * 64, product=product)
    service.file_report(reason="scam", address_hash="1" * 64, shop=product.shop)
    db.session.commit()
    response = post(admin_client, f"/admin/laporan/toko/{product.shop.id}", action="suspend", note="Penipuan.")
    assert response.status_code == 302
    assert [r.resolution for r in reports_of(product=product) + reports_of(shop=product.shop)] == [
        "suspended", "suspended"]


@pytest.mark.parametrize("data, status, message", [
    ({"action": "suspend", "note": ""}, 422, "Tuliskan alasannya"),
    ({"action": "nuke"}, 422, "Pilih tindakan"),
    ({"action": "unpublish", "reason": "bogus"}, 422, "alert"),
    ({}, 422, "alert"),
])
def test_resolving_refuses_bad_input(admin_client, make_product, data, status, message):
    product = make_product()
    service.file_report(reason="scam", address_hash="1" * 64, product=product)
    db.session.commit()
    before = decision_count()
    response = post(admin_client, f"/admin/laporan/produk/{product.id}", **data)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert reports_of(product=product)[0].status == "open" and decision_count() == before


def test_resolving_without_open_reports_is_refused(admin_client, make_product):
    product = make_product()
    response = post(admin_client, f"/admin/laporan/produk/{product.id}", action="dismiss")
    assert response.status_code == 409 and "Tidak ada laporan terbuka" in response.get_data(as_text=True)


# ---- overview and audit log


def test_overview_counts_and_chart(admin_client, make_product):
    make_product(status="pending"), make_product(), make_product()
    response = admin_client.get("/admin")
    body = response.get_data(as_text=True)
    assert re.search(r"<strong>\d+</strong> menunggu tinjauan", body)
    chart = body[body.index("<svg"):body.index("</svg>")]
    assert chart.count('class="bar"') == 12 and "style=" not in chart
    assert "Produk yang paling lama menunggu sudah menunggu" in body
    assert "Tenggarong" in body  # the per-district table


def test_audit_log_filters_and_pages(admin_client, admin, make_product):
    products = [make_product(status="pending") for _ in range(3)]
    for product in products:
        service.approve_product(product, admin)
    service.suspend_shop(products[0].shop, admin, "Penipuan")
    db.session.commit()
    body = admin_client.get(f"/admin/audit?action=suspend_shop&admin={admin.id}").get_data(as_text=True)
    assert "1 keputusan." in body and products[0].shop.name in body
    body = admin_client.get(f"/admin/audit?admin={admin.id}&shop={products[1].shop.slug}").get_data(as_text=True)
    assert "1 keputusan." in body and products[1].title in body


@pytest.mark.parametrize("query", ["action=<script>alert(1)</script>", "admin=1 OR 1=1", "admin=99999999",
                                   "date_from=2025-13-45", "date_from=2025-05-03&date_to=2025-05-01",
                                   "page=-1", "page=abc", "shop=" + "x" * 500])
def test_audit_log_hostile_filters_are_harmless(admin_client, query):
    response = admin_client.get("/admin/audit?" + query)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Saringan tidak valid" in body and "<script>alert(1)" not in body


def test_audit_log_is_paginated(admin_client, admin, make_product):
    product = make_product(status="pending")
    service.approve_product(product, admin)
    for n in range(55):
        service.record_decision(action="dismiss_reports", actor=admin, product=product, reason=f"catatan {n}")
    db.session.commit()
    first = admin_client.get(f"/admin/audit?admin={admin.id}").get_data(as_text=True)
    assert "56 keputusan." in first and "Halaman 1 dari 2" in first
    assert f'href="/admin/audit?page=2&amp;admin={admin.id}"' in first
    second = admin_client.get(f"/admin/audit?admin={admin.id}&page=2").get_data(as_text=True)
    assert "Halaman 2 dari 2" in second and "Disetujui" in second
