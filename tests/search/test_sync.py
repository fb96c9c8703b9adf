"""Rebuilding, checking and repairing the index; searches keep working during a rebuild."""
import threading

from sqlalchemy import select

from marketplace.catalogue import service as catalogue
from marketplace.extensions import db
from marketplace.search import sync
from marketplace.search.backend import SearchQuery, backend_for
from marketplace.search.documents import documents
from marketplace.search.backend import Alternative
from marketplace.search.whoosh_engine.index import current_name, live_writer
from marketplace.search.models import SearchOutbox

from .conftest import run_search, titles


def test_reindex_builds_a_new_directory_and_switches_to_it(app, world, runner):
    root = app.config["SEARCH_INDEX_DIR"]
    before, found = current_name(root), titles(run_search("madu"))
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing listings" in result.output and "Indexed 22 listing(s)." in result.output
    assert current_name(root) != before
    assert titles(run_search("madu")) == found
    assert sync.check(app, db.session.get_bind()).total == 0


def test_searches_keep_working_during_rebuilds(app, world):
    backend, answers, errors = backend_for(app), [], []
    stop = threading.Event()
    query = SearchQuery(units=[(Alternative(("madu",)),)])

    def search_continuously():
        while not stop.is_set():
            try:
                with backend.reading() as session:
                    answers.append(session.search(query).total)
            except Exception as error:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(error)

    searcher = threading.Thread(target=search_continuously)
    searcher.start()
    try:
        for _ in range(3):
            sync.rebuild(app, db.session.get_bind())
    finally:
        stop.set()
        searcher.join()
    assert errors == [] and len(answers) > 3 and set(answers) == {4}


def test_a_change_made_during_a_rebuild_is_not_lost(app, world):
    product = world.products["Gula Aren Cetak"]

    def change_while_rebuilding(indexed):
        # The rebuild holds the index lock: this commit's drain leaves its row to the rebuild.
        catalogue.set_stock(product, 0)
        db.session.commit()
        assert db.session.scalars(select(SearchOutbox.object_id)).all() == [product.id]

    sync.rebuild(app, db.session.get_bind(), progress=change_while_rebuilding)
    assert db.session.scalars(select(SearchOutbox.object_id)).all() == []
    assert run_search("gula aren cetak").items[0]["in_stock"] is False


def _drift_the_index(app, world, build_listing):
    """One listing missing, one stale, one that is not public."""
    honey, tea = world.products["Madu Kelulut Asli 250 ml"], world.products["Teh Rempah Hangat"]
    secret = build_listing(world.shops["samboja"], "Madu Rahasia", "madu", "Belum disetujui.", 50000, 5,
                           status="pending")
    db.session.commit()
    stale = next(documents(db.session, [tea.id]))
    stale.update(price=1, fingerprint=0)
    with live_writer(app.config["SEARCH_INDEX_DIR"]) as writer:
        writer.delete_by_term("id", str(honey.id))
        writer.update_document(**stale)
        writer.add_document(id=str(secret.id), pid=secret.id, title=["rahasia"], doc={})
        writer.commit()
    return honey, tea, secret


def test_check_reports_drift_and_fix_repairs_it(app, world, build_listing, runner):
    honey, tea, secret = _drift_the_index(app, world, build_listing)
    report = runner.invoke(args=["search", "check"])
    assert report.exit_code == 1
    assert f"missing: 1 ({honey.id})" in report.output
    assert f"extra: 1 ({secret.id})" in report.output and f"stale: 1 ({tea.id})" in report.output
    repaired = runner.invoke(args=["search", "check", "--fix"])
    assert repaired.exit_code == 0 and "Repaired 3 listing(s)." in repaired.output
    clean = runner.invoke(args=["search", "check"])
    assert clean.exit_code == 0 and "The index matches the database." in clean.output
    assert honey.id in {item["id"] for item in run_search("kelulut").items}
    assert run_search("rahasia").total == 0
    assert run_search("teh rempah", max_price=1000).total == 0


def test_sync_command_drains_what_is_left(app, world, runner):
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    catalogue.set_stock(world.products["Rambutan Binjai"], 0)
    db.session.commit()
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0 and "Applied 1 outbox row(s)." in result.output
    assert runner.invoke(args=["search", "sync"]).output == "Applied 0 outbox row(s).\n"
    assert run_search("rambutan").items[0]["in_stock"] is False


def test_demo_seed_indexes_everything(app, world):
    from marketplace.search import demo

    assert demo.seed() == 22
    assert sync.check(app, db.session.get_bind()).total == 0
