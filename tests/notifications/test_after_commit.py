"""When a request's emails go: right after its commit, on the connection it gave back, or (switched off) only
when cron sends them."""
from pathlib import Path

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders import service
from tests.notifications.helpers import rows, subjects
from tests.orders.helpers import address, committed_market


def test_switched_off_the_request_only_writes_and_cron_sends(app, make_order, runner):
    app.config["NOTIFICATIONS_SEND_ON_COMMIT"] = False
    order = make_order()
    written = rows(order)
    assert {row.kind for row in written} == {"buyer_placed", "buyer_paid", "producer_paid"}
    assert all(row.sent_at is None and row.claimed_at is None for row in written) and subjects(app) == []
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert len(subjects(app)) == 3 and all(row.sent_at is not None for row in rows(order))


def test_a_checkout_with_one_pooled_connection_still_sends_its_email(server_database, tmp_path_factory):
    """The email goes out after the checkout's connection is back in the pool: with a pool of one, a sender
    that needed a second connection would wait out the pool timeout and send nothing."""
    market = committed_market(server_database, tmp_path_factory, pool_size=1, pool_timeout=3)
    try:
        buyer_id, product_id = market.make_user(), market.make_product(stock=3)
        market.fill_cart(buyer_id, (product_id, 1))
        market.run(lambda: service.place_order(db.session.get(User, buyer_id), address(), {}))
        # (the listing's approval wrote and sent one email before the checkout)
        sent = market.run(lambda: db.session.scalars(select(Notification.sent_at)
                                                     .where(Notification.kind == "buyer_placed")).all())
        assert len(sent) == 1 and sent[0] is not None
        assert len(list(Path(market.app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))) == 2
    finally:
        market.close()
