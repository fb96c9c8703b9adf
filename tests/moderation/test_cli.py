"""`flask moderation queue` and `flask moderation approve ID... --admin EMAIL`."""
from marketplace.extensions import db
from marketplace.moderation.models import ModerationDecision


def test_queue_lists_pending_listings(runner, make_product):
    waiting = make_product(status="pending", title="Amplang ikan pipih")
    make_product(status="approved", title="Madu yang sudah tayang")
    result = runner.invoke(args=["moderation", "queue"])
    assert result.exit_code == 0
    assert "Amplang ikan pipih" in result.output and "Madu yang sudah tayang" not in result.output
    assert str(waiting.id) in result.output and "Rp50.000" in result.output


def test_empty_queue(runner):
    result = runner.invoke(args=["moderation", "queue"])
    assert result.exit_code == 0 and "empty" in result.output


def test_approve_reports_per_id_through_the_service(runner, make_product, admin):
    pending, approved = make_product(status="pending"), make_product(status="approved")
    result = runner.invoke(args=["moderation", "approve", str(pending.id), str(approved.id), "999999",
                                 "--admin", admin.email.upper()])
    assert result.exit_code == 1
    assert f"{pending.id}: approved" in result.output
    assert f"{approved.id}: not approved: " in result.output and "sudah disetujui" in result.output
    assert "999999: not approved: Produk tidak ditemukan." in result.output
    db.session.expire_all()
    assert pending.status == "approved"
    decision = db.session.query(ModerationDecision).filter_by(product_id=pending.id).one()
    assert decision.actor_id == admin.id and not decision.automatic


def test_approve_all_good_exits_zero(runner, make_product, admin):
    product = make_product(status="pending")
    result = runner.invoke(args=["moderation", "approve", str(product.id), "--admin", admin.email])
    assert result.exit_code == 0 and f"{product.id}: approved" in result.output


def test_approve_needs_an_admin(runner, make_product, make_user):
    product = make_product(status="pending")
    assert runner.invoke(args=["moderation", "approve", str(product.id)]).exit_code == 2
    producer = make_user("producer")
    for email in (producer.email, "nobody@example.com"):
        result = runner.invoke(args=["moderation", "approve", str(product.id), "--admin", email])
        assert result.exit_code == 1 and "is not an admin" in result.output
    for bad_id in ("abc", "0", "-5", str(2**40)):
        result = runner.invoke(args=["moderation", "approve", "--admin", "x@example.com", "--", bad_id])
        assert result.exit_code == 2
    db.session.expire_all()
    assert product.status == "pending"
