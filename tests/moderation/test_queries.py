"""What the admin screens show: queues, report groups, counts, weekly approvals, the audit log, shop search."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from marketplace import regions
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.moderation import queries, service
from marketplace.moderation.models import ModerationDecision


def set_submitted(product, moment):
    product.submitted_at = moment
    db.session.commit()


def test_queue_holds_pending_listings_longest_waiting_first(make_product):
    newer, older = make_product(status="pending"), make_product(status="pending")
    make_product(status="approved"), make_product(status="draft"), make_product(status="rejected")
    set_submitted(older, utcnow() - timedelta(days=3))
    set_submitted(newer, utcnow() - timedelta(days=1))
    queue = queries.review_queue(1)
    assert queue.items == [older, newer] and queue.total == 2


def test_queue_pages_beyond_the_end_are_empty(make_product):
    make_product(status="pending")
    assert queries.review_queue(999).items == []


def test_changed_listings_are_approved_ones_edited_since(make_product):
    edited, untouched = make_product(), make_product()
    edited.changed_since_approval = True
    db.session.commit()
    assert queries.changed_listings(1).items == [edited]
    assert untouched not in queries.changed_listings(1).items


def test_overview_counts(make_shop, make_product, admin):
    base = queries.overview_counts()
    pending = make_product(status="pending")
    set_submitted(pending, utcnow() - timedelta(days=2, hours=1))
    changed = make_product()
    changed.changed_since_approval = True
    shop = make_shop()
    service.suspend_shop(shop, admin, "Penipuan")
    service.file_report(reason="scam", address_hash="a" * 64, shop=make_shop())
    db.session.commit()
    counts = queries.overview_counts()
    assert counts["pending"] == base["pending"] + 1
    assert counts["changed"] == base["changed"] + 1
    assert counts["open_reports"] == base["open_reports"] + 1
    assert counts["suspended_shops"] == base["suspended_shops"] + 1
    assert counts["oldest_pending_age"] >= timedelta(days=2, hours=1)


def test_counts_by_district_count_active_shops_and_public_listings(make_shop, make_product, admin):
    before = {name: (shops, listings) for name, shops, listings in queries.counts_by_district()}
    shop = make_shop(district_code="64.02.08")  # Kota Bangun
    make_product(shop=shop), make_product(shop=shop), make_product(shop=shop, status="pending")
    hidden = make_shop(district_code="64.02.08")
    make_product(shop=hidden)
    service.suspend_shop(hidden, admin, "Penipuan")
    after = {name: (shops, listings) for name, shops, listings in queries.counts_by_district()}
    assert len(after) == len(regions.home_districts())  # every kecamatan, also the empty ones
    old_shops, old_listings = before["Kota Bangun"]
    assert after["Kota Bangun"] == (old_shops + 1, old_listings + 2)


def approval_at(moment, product):
    decision = service.record_decision(action="approve", product=product, automatic=True)
    decision.created_at = moment
    db.session.flush()


def test_approvals_per_week_buckets_by_monday_in_wita(make_product):
    product = make_product()
    now = datetime(2025, 3, 19, 4, 0, tzinfo=timezone.utc)  # Wednesday, 12.00 WITA
    wita = timezone(timedelta(hours=8))
    approval_at(datetime(2025, 3, 17, 0, 30, tzinfo=wita), product)  # Monday 00.30 WITA: this week
    approval_at(datetime(2025, 3, 16, 23, 30, tzinfo=wita), product)  # Sunday 23.30 WITA: last week
    approval_at(datetime(2025, 3, 10, 9, 0, tzinfo=wita), product)
    approval_at(datetime(2024, 12, 22, 9, 0, tzinfo=wita), product)  # thirteen weeks back: left out
    service.record_decision(action="reject", product=product, reason="x").created_at = now - timedelta(days=1)
    weeks = queries.approvals_per_week(12, now=now)
    assert len(weeks) == 12
    assert weeks[0][0] == date(2024, 12, 30) and weeks[-1][0] == date(2025, 3, 17)
    assert all(monday.weekday() == 0 for monday, _count in weeks)
    counts = dict(weeks)
    assert counts[date(2025, 3, 17)] == 1 and counts[date(2025, 3, 10)] == 2
    assert sum(counts.values()) == 3


def test_open_report_groups_group_by_listing_or_shop(make_product, make_shop, make_user):
    product, shop = make_product(), make_shop()
    buyer = make_user()
    service.file_report(reason="scam", address_hash="1" * 64, product=product)
    service.file_report(reason="misleading", address_hash="2" * 64, product=product, reporter=buyer)
    service.file_report(reason="offensive", address_hash="1" * 64, shop=shop)
    service.file_report(reason="other", text="Toko ini juga", address_hash="1" * 64, shop=product.shop)
    groups = {group.key: group for group in queries.open_report_groups()}
    assert len(groups[f"product-{product.id}"].reports) == 2
    assert groups[f"product-{product.id}"].senders == 2
    assert groups[f"shop-{shop.id}"].product is None
    assert [r.text for r in groups[f"shop-{product.shop.id}"].reports] == ["Toko ini juga"]
    assert list(groups)[0] == f"product-{product.id}"  # most senders first


@pytest.fixture
def history(make_shop, make_product, make_user):
    """Decisions by two admins about two shops on three days."""
    first, second = make_user("admin", name="Admin Satu"), make_user("admin", name="Admin Dua")
    honey, coffee = make_shop(name="Madu 100% Asli_Loa"), make_shop(name="Kopi Tenggarong")
    product = make_product(shop=honey, status="pending")
    service.approve_product(product, first)
    service.suspend_shop(coffee, second, "Penipuan")
    service.reinstate_shop(coffee, first)
    moments = [datetime(2025, 5, day, 3, 0, tzinfo=timezone.utc) for day in (1, 2, 3)]
    rows = db.session.scalars(select(ModerationDecision).where(ModerationDecision.actor_id.in_(
        [first.id, second.id])).order_by(ModerationDecision.id)).all()
    for row, moment in zip(rows, moments):  # back-dated in the database, as if made on those days
        db.session.execute(ModerationDecision.__table__.update().where(ModerationDecision.id == row.id)
                           .values(created_at=moment))
    db.session.expire_all()
    return {"first": first, "second": second, "honey": honey, "coffee": coffee, "rows": rows}


def test_audit_log_filters(history):
    first, second, rows = history["first"], history["second"], history["rows"]
    assert queries.audit_log(admin_id=first.id).items == [rows[2], rows[0]]
    assert queries.audit_log(action="suspend_shop", admin_id=second.id).items == [rows[1]]
    assert queries.audit_log(shop_text="100% asli_").items == [rows[0]]
    assert queries.audit_log(shop_text="kopi", admin_id=first.id).items == [rows[2]]
    assert queries.audit_log(admin_id=first.id, date_from=date(2025, 5, 2), date_to=date(2025, 5, 3)).items == [
        rows[2]]
    assert queries.audit_log(admin_id=first.id, date_to=date(2025, 5, 1)).items == [rows[0]]


@pytest.mark.parametrize("hostile", ["%", "_", "\\", "' OR 1=1 --", "%%'\x00", "x" * 500])
def test_audit_log_shop_text_is_only_text(history, hostile):
    """Wildcards match themselves only: the second admin's one decision is about 'Kopi Tenggarong'."""
    assert queries.audit_log(shop_text=hostile, admin_id=history["second"].id).items == []


def test_audit_log_pages(make_product, admin):
    products = [make_product(status="pending") for _ in range(3)]
    for product in products:
        service.approve_product(product, admin)
    first_page = queries.audit_log(admin_id=admin.id, page=1)
    assert first_page.total == 3
    assert queries.audit_log(admin_id=admin.id, page=2).items == []


def test_find_shops_by_name_slug_or_district(make_shop, admin):
    loa = make_shop(name="Madu Kelulut Rahmah", district_code="64.02.02")
    other = make_shop(name="Amplang Pak Rusdi", district_code="64.02.04")
    service.suspend_shop(other, admin, "Penipuan")
    assert loa in queries.find_shops("kelulut rahmah").items
    assert other in queries.find_shops("amplang-pak").items
    assert loa in queries.find_shops("loa kulu").items and other not in queries.find_shops("loa kulu").items
    assert queries.find_shops("amplang pak rusdi", "suspended").items == [other]
    assert queries.find_shops("amplang pak rusdi", "active").items == []
    assert queries.find_shops("%").items == []
