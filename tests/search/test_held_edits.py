"""A change to an approved listing waits for an admin: until then neither search backend holds its words, and
nothing that searches (the page, the JSON API, suggestions, a full rebuild) returns them."""
from dataclasses import fields

from sqlalchemy import select

from marketplace.catalogue import service as catalogue
from marketplace.extensions import db
from marketplace.moderation import service as moderation
from marketplace.search.models import SearchWord

from .conftest import ON_EVERY_BACKEND, run_search, titles

WORD = "zamrudsakti"


def change(product, **changes):
    """The producer's edit, through the catalogue service."""
    current = {field.name: getattr(product, field.name) for field in fields(catalogue.ProductDetails)}
    catalogue.update_product(product, catalogue.ProductDetails(**{**current, **changes}))
    db.session.commit()


def nothing_found(client, search_backend):
    assert titles(run_search(WORD)) == []
    api = client.get(f"/api/v1/search?q={WORD}").get_json()
    assert (api["total"], api["items"], api["corrected_query"]) == (0, [], None)
    assert f"Tas Rotan {WORD}" not in client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert client.get(f"/search/suggest?q={WORD[:5]}").get_json()["suggestions"] == []
    listed = client.get("/api/v1/search?q=rotan").get_json()
    assert [item["title"] for item in listed["items"]] == ["Tas Anyaman Rotan"]
    assert WORD not in str(listed["items"])
    if search_backend == "postgres":
        assert db.session.scalars(select(SearchWord.word).where(SearchWord.word.like("zamrud%"))).all() == []


@ON_EVERY_BACKEND
def test_unreviewed_words_are_never_indexed_and_confirmed_ones_are(app, client, runner, world, search_backend,
                                                                   make_user):
    bag = world.products["Tas Anyaman Rotan"]
    change(bag, title=f"Tas Rotan {WORD}", description=f"Anyaman {WORD}, obat segala penyakit.")
    catalogue.set_stock(bag, 7)  # a change that is not reviewed reindexes the listing: still the approved words
    db.session.commit()
    nothing_found(client, search_backend)
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    nothing_found(client, search_backend)

    moderation.confirm_change(bag, make_user("admin"))
    db.session.commit()
    assert titles(run_search(WORD)) == [f"Tas Rotan {WORD}"]
    assert [item["title"] for item in client.get(f"/api/v1/search?q={WORD}").get_json()["items"]] == [
        f"Tas Rotan {WORD}"]
