"""The PostgreSQL backend: documents written in the listing's own transaction, rebuilds, checks, and
the same JSON contract as the Whoosh engine. Skipped on SQLite runs."""
import pytest
from sqlalchemy import event, func, select, text

from marketplace.catalogue import service as catalogue
from marketplace.extensions import db
from marketplace.search import sync
from marketplace.search.models import SearchDocument, SearchOutbox, SearchWord

from .conftest import run_search, titles, use_backend


@pytest.fixture
def search_backend(app):
    return use_backend(app, "postgres")


def documents_of(product_id):
    return db.session.scalars(select(SearchDocument.stock).where(SearchDocument.product_id == product_id)).all()


def test_a_change_is_written_in_its_own_transaction_and_rolls_back_with_it(world):
    honey = world.products["Madu Kelulut Asli 250 ml"]
    catalogue.set_stock(honey, 0)
    db.session.flush()
    assert documents_of(honey.id) == [0]                     # flushed, not committed: same transaction
    assert db.session.scalars(select(SearchOutbox.id)).all() == []   # and no outbox to drain
    db.session.rollback()
    assert documents_of(honey.id) == [30]
    catalogue.archive_product(honey)
    db.session.commit()
    assert documents_of(honey.id) == []
    assert "Madu Kelulut Asli 250 ml" not in titles(run_search("madu"))


def test_word_counts_follow_the_listings(world):
    def count(word):
        return db.session.scalar(select(SearchWord.docs).where(SearchWord.word == word))

    assert count("rotan") == 1 and count("madu") == 4
    assert count("") == len(world.products)          # the empty word counts the documents
    catalogue.archive_product(world.products["Tas Anyaman Rotan"])
    catalogue.archive_product(world.products["Madu Hutan Liar"])
    catalogue.set_stock(world.products["Gula Aren Cetak"], 0)      # words unchanged: counts unchanged
    db.session.commit()
    assert count("rotan") is None and count("madu") == 3
    assert count("") == len(world.products) - 2
    assert run_search("").total == len(world.products) - 2



def search_state():
    """Every search document and word count, to compare with what a rebuild writes."""
    documents = db.session.execute(select(SearchDocument.product_id, SearchDocument.terms, SearchDocument.stock,
                                          SearchDocument.fingerprint).order_by(SearchDocument.product_id)).all()
    words = db.session.execute(select(SearchWord.word, SearchWord.docs, SearchWord.named)
                               .order_by(SearchWord.word)).all()
    return documents, words


def test_text_changes_leave_the_same_documents_and_word_counts_as_a_rebuild(app, world, build_listing):
    honey, tea = world.products["Madu Kelulut Asli 250 ml"], world.products["Teh Rempah Hangat"]
    honey.title = "Madu Klanceng Pahit 250 ml"                  # "kelulut" leaves the titles, "klanceng" comes
    tea.description = "Campuran jahe, serai dan gula semut."    # "madu" and "kelulut" leave a description
    world.shops["anggana"].name = "Amplang Bu Rusdiah"          # every listing of the shop changes its names
    catalogue.archive_product(world.products["Tas Anyaman Rotan"])     # "rotan" goes with its only listing
    build_listing(world.shops["tabang"], "Tikar Pandan Halus", "anyaman", "Anyaman pandan.", 90000, 2)
    catalogue.set_stock(world.products["Gula Aren Cetak"], 3)
    db.session.commit()
    changed = search_state()
    assert ("rotan", 1, 1) not in changed[1] and ("", len(world.products), 0) in changed[1]
    sync.rebuild(app, db.session.get_bind())
    assert search_state() == changed
    assert titles(run_search("klanceng pahit"))[:1] == ["Madu Klanceng Pahit 250 ml"]


def test_a_document_without_a_text_key_is_analysed_and_recounted_at_its_next_change(app, world):
    """Documents written before the text key (an upgraded database) have none: their next change, even of
    the stock alone, rewrites their lexemes and moves their word counts from what the lexemes held."""
    honey = world.products["Madu Kelulut Asli 250 ml"]
    db.session.execute(SearchDocument.__table__.update().values(text_key=None))
    honey.title = "Madu Klanceng Asli 250 ml"
    catalogue.set_stock(world.products["Kerupuk Udang Mentah"], 7)
    db.session.commit()
    changed = search_state()
    sync.rebuild(app, db.session.get_bind())
    assert search_state() == changed


def test_a_stock_change_rewrites_only_the_plain_columns(world):
    """The commonest change (stock, at every checkout) costs three statements: lock the document, read
    the listing, update its plain columns; no lexeme is sent and no word count is touched."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    honey = world.products["Madu Kelulut Asli 250 ml"]
    before = db.session.execute(select(SearchDocument.terms, SearchDocument.text_key)
                                .where(SearchDocument.product_id == honey.id)).one()
    bind = db.session.connection().engine
    event.listen(bind, "before_cursor_execute", record)
    try:
        catalogue.set_stock(honey, 12)
    finally:
        event.remove(bind, "before_cursor_execute", record)
    searching = [statement for statement in statements if "search_" in statement]
    assert len(searching) == 2 and not any("search_word" in statement for statement in searching)
    assert "FOR UPDATE" in searching[0] and searching[1].lstrip().startswith("UPDATE search_document")
    assert documents_of(honey.id) == [12]
    assert db.session.execute(select(SearchDocument.terms, SearchDocument.text_key)
                              .where(SearchDocument.product_id == honey.id)).one() == before

def test_the_document_count_is_counted_when_its_row_is_missing(world):
    """A database upgraded without the empty word's row still ranks by the true number of listings."""
    ranked = titles(run_search("madu hutan"))
    db.session.execute(SearchWord.__table__.delete().where(SearchWord.word == ""))
    assert titles(run_search("madu hutan")) == ranked


def test_a_search_leaves_the_planner_settings_of_the_transaction_alone(world):
    def settings():
        return db.session.execute(text("SELECT current_setting('random_page_cost'), "
                                       "current_setting('max_parallel_workers_per_gather')")).one()

    before = settings()
    assert run_search("madu").total == 4 and run_search("madu kelulut").total >= 2
    assert settings() == before


def test_rebuild_gives_the_same_documents_and_check_finds_no_drift(app, world):
    bind = db.session.get_bind()
    before = db.session.execute(select(SearchDocument.product_id, SearchDocument.terms, SearchDocument.fingerprint)
                                .order_by(SearchDocument.product_id)).all()
    words = db.session.execute(select(SearchWord.word, SearchWord.docs, SearchWord.named).order_by(SearchWord.word)).all()
    assert sync.rebuild(app, bind) == len(world.products)
    assert db.session.execute(select(SearchDocument.product_id, SearchDocument.terms, SearchDocument.fingerprint)
                              .order_by(SearchDocument.product_id)).all() == before
    assert db.session.execute(select(SearchWord.word, SearchWord.docs, SearchWord.named)
                              .order_by(SearchWord.word)).all() == words
    assert sync.check(app, bind).total == 0


def test_check_finds_and_fixes_drift(app, world):
    bind = db.session.get_bind()
    db.session.execute(SearchDocument.__table__.delete().where(
        SearchDocument.product_id == world.products["Teh Rempah Hangat"].id))
    drift = sync.check(app, bind, fix=True)
    assert drift.missing == [world.products["Teh Rempah Hangat"].id]
    assert sync.check(app, bind).total == 0
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == len(world.products)


QUERIES = ["madu", "madu kelulut", "mdau", "gula merah", "kerip", "q=", "amplang&in_stock=1",
           "&category=madu", "&district=64.02.12", "madu&sort=price_asc", "&sort=newest&per_page=5&page=2",
           "tidakadaapapun"]


def test_the_api_answers_the_same_on_both_backends(app, client, world):
    def answers():
        return [client.get(f"/api/v1/search?q={query}").get_json() for query in QUERIES]

    on_postgres = answers()
    use_backend(app, "whoosh")
    sync.rebuild(app, db.session.get_bind())
    on_whoosh = answers()
    for query, pg, wh in zip(QUERIES, on_postgres, on_whoosh):
        assert (pg["total"], pg["facets"], pg["corrected_query"]) == (wh["total"], wh["facets"], wh["corrected_query"]), query
        assert sorted(item["id"] for item in pg["items"]) == sorted(item["id"] for item in wh["items"]), query
        assert pg["items"][:1] == wh["items"][:1], query
