"""The demo seeder gives every admin screen something to show, through the real services."""
from marketplace.extensions import db
from marketplace.moderation import demo, queries


def test_seed_fills_the_admin_screens(make_shop, make_product, make_user, admin):
    shops = [make_shop() for _ in range(4)]
    for shop in shops:
        make_product(shop=shop)
    make_user("buyer")
    before = queries.overview_counts()
    added = demo.seed(admin)
    db.session.commit()
    counts = queries.overview_counts()
    assert counts["pending"] == before["pending"] + 2 == before["pending"] + len(added["pending"])
    assert counts["changed"] == before["changed"] + 1
    assert counts["open_reports"] == before["open_reports"] + 3
    assert counts["oldest_pending_age"].days >= 3
    assert shops[0].trusted
    assert any(product.status == "rejected" and "Klaim kesehatan" in product.rejection_reason
               for product in shops[2].products)
    assert queries.change_summary(added["changed"][0]).description.changed
