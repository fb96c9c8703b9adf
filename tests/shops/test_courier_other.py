"""A courier not in the list ("kurir lain") must be named when shipping; the buyer reads that name on the
order page, in the email and in the WhatsApp message."""
import re
from urllib.parse import unquote

import pytest

from marketplace.orders.messaging import courier_name, message_to_buyer
from tests.notifications.helpers import eml_files
from tests.pages import page_html
from tests.shops.test_offline_api import fresh_token, new_key
from tests.shops.test_orders_views import act, paid_part, reload, snapshot  # noqa: F401 (fixture)

OTHER = {"courier": "other", "courier_other": "  Travel   Loa Kulu ", "tracking_number": "tlk 0042"}


def test_the_other_couriers_name_is_stored_and_shown_everywhere(app, client, auth, logged_in, send, paid_part,
                                                               make_user):
    buyer = make_user("buyer")
    part = paid_part(buyer=buyer)
    act(send, part, "accept")
    assert act(send, part, "ship", OTHER).status_code == 302
    part = reload(part)
    assert (part.courier, part.courier_other, part.tracking_number) == ("other", "Travel Loa Kulu", "TLK 0042")
    producer_page = page_html(client, f"/dashboard/orders/{part.id}")
    assert "Travel Loa Kulu, resi TLK 0042" in producer_page
    assert "Travel Loa Kulu" in unquote(producer_page)  # the WhatsApp message to the buyer
    assert "Travel Loa Kulu" in message_to_buyer(part)
    assert "Travel Loa Kulu" in page_html(client, f"/dashboard/orders/{part.id}/slip")
    shipped = [message for _name, message in eml_files(app) if "dikirim" in message["Subject"]]
    assert shipped and "lewat Travel Loa Kulu dengan nomor resi TLK 0042" in shipped[-1].get_content()
    auth.logout()
    auth.login(buyer.email)
    assert "Kurir: Travel Loa Kulu" in page_html(client, f"/orders/{part.order.code}")


def test_a_listed_courier_drops_a_typed_name(client, logged_in, send, paid_part):
    part = paid_part()
    act(send, part, "accept")
    act(send, part, "ship", {"courier": "jne", "courier_other": "Travel Loa Kulu", "tracking_number": "JP12345"})
    part = reload(part)
    assert (part.courier, part.courier_other) == ("jne", "")
    assert courier_name(part.courier, part.courier_other) == "JNE"


@pytest.mark.parametrize("typed, message", [
    ("", "Tulis nama kurirnya"),
    ("   \t ", "Tulis nama kurirnya"),
    (None, "Tulis nama kurirnya"),
    ("x" * 41, "paling banyak 40"),
    ("Kurir " * 50_000, "paling banyak 40"),  # 300 KB, under the form memory limit
    ("<script>alert(1)</script>", "paling banyak 40"),
    ("Kapal\x00Motor", "paling banyak 40"),
    ("'; DROP TABLE shop_order;--", "paling banyak 40"),
    ("_", "paling banyak 40"),
])
def test_kurir_lain_without_a_usable_name_is_refused(logged_in, send, paid_part, typed, message):
    part = paid_part()
    act(send, part, "accept")
    before = snapshot(part)
    data = {"courier": "other", "tracking_number": "TLK0042"}
    if typed is not None:
        data["courier_other"] = typed
    response = act(send, part, "ship", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert re.search(r'<option selected value="other">|<option value="other" selected>', html)  # name field shown
    assert 'name="courier_other"' in html and "<script>alert(1)" not in html
    assert snapshot(part) == before


def test_a_queued_ship_carries_the_other_couriers_name(client, logged_in, paid_part):
    part = paid_part()
    for action, fields in (("accept", {}), ("ship", OTHER)):
        answer = client.post(f"/dashboard/api/orders/{part.id}/{action}",
                             data={"csrf_token": fresh_token(client), "idempotency_key": new_key(), **fields})
        assert answer.status_code == 200, answer.get_json()
    assert reload(part).courier_other == "Travel Loa Kulu"
    other = paid_part()
    client.post(f"/dashboard/api/orders/{other.id}/accept",
                data={"csrf_token": fresh_token(client), "idempotency_key": new_key()})
    refused = client.post(f"/dashboard/api/orders/{other.id}/ship",
                          data={"csrf_token": fresh_token(client), "idempotency_key": new_key(),
                                "courier": "other", "tracking_number": "TLK1"})
    assert refused.status_code == 422 and "Tulis nama kurirnya" in refused.get_json()["error"]
    assert reload(other).state == "preparing"
