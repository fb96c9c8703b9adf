"""service.search: filters, facets, sorting, pages, corrections, hostile text; parse_params; suggest."""
import pytest

from marketplace.errors import InvalidInput
from marketplace.search import service

from .conftest import run_search, sharing_the_catalogue, titles

MADU = {"Madu Kelulut Asli 250 ml", "Madu Trigona Hutan", "Madu Hutan Liar"}


# The catalogue is built once for the module (tests/search/conftest.py: catalogue_market).
app, world = sharing_the_catalogue()


@pytest.fixture
def search_backend(every_backend):
    """Every case runs against both backends."""
    return every_backend


def test_filters_narrow_and_facets_count_what_is_left(world):
    everything = run_search("madu")
    assert everything.total == 4                     # three titles and one description
    assert dict((f.value, f.count) for f in everything.facets["category"]) == {"madu": 3, "teh-herbal": 1}
    in_madu = run_search("madu", category="madu")
    assert set(titles(in_madu)) == MADU
    assert [(f.value, f.count) for f in in_madu.facets["category"]] == [("madu", 3)]
    in_stock = run_search("madu", category="madu", in_stock=1)
    assert set(titles(in_stock)) == MADU - {"Madu Hutan Liar"}
    priced = run_search("madu", min_price=100000, max_price=140000)
    assert titles(priced) == ["Madu Kelulut Asli 250 ml"]
    tabang = run_search("madu", district="64.02.12")
    assert titles(tabang) == ["Madu Trigona Hutan"]
    assert run_search("madu", district="Tabang").total == 1        # the district's name works too


def test_district_facets_are_named_and_sum_to_the_total(world):
    result = run_search("gula")
    districts = {f.name_id: f.count for f in result.facets["district"]}
    # Manisan Pala Kering (Kota Bangun) has gula in its description.
    assert districts == {"Muara Badak": 2, "Samboja": 1, "Kota Bangun": 1}
    assert sum(districts.values()) == result.total == 4


def test_a_parent_category_includes_its_children(world):
    result = run_search(category="makanan-olahan")
    assert {f.value for f in result.facets["category"]} == {"kerupuk-amplang", "keripik", "kue-dodol",
                                                              "abon-olahan-ikan"}
    assert result.total == 9


@pytest.mark.parametrize("sort, key, reverse", [("price_asc", "price_idr", False),
                                                 ("price_desc", "price_idr", True)])
def test_sort_by_price(world, sort, key, reverse):
    items = run_search("", sort=sort, per_page=48).items
    prices = [item[key] for item in items]
    assert prices == sorted(prices, reverse=reverse) and len(prices) == 22


def test_newest_first(world, build_listing):
    from marketplace.extensions import db

    newest = build_listing(world.shops["samboja"], "Madu Baru Panen", "madu", "Baru dipanen.", 80000, 5)
    db.session.commit()
    assert titles(run_search("madu", sort="newest"))[0] == "Madu Baru Panen"
    assert titles(run_search(sort="newest"))[0] == "Madu Baru Panen"
    assert newest.id == run_search("panen").items[0]["id"]


def test_pages_do_not_overlap_and_cover_everything(world):
    seen = []
    for page in (1, 2, 3):
        result = run_search(per_page=10, page=page, sort="price_asc")
        assert result.total == 22 and result.pages == 3
        seen += [item["id"] for item in result.items]
    assert len(seen) == len(set(seen)) == 22
    assert run_search(per_page=10, page=4).items == []


def test_corrected_query_is_reported_only_when_used(world):
    corrected = run_search("madu kelulutt")
    assert corrected.corrected_query == "madu kelulut"
    assert run_search("madu kelulut").corrected_query is None
    assert run_search("Kerpik  Pisang!").corrected_query == "keripik pisang"
    assert run_search("Kripik  Pisang!").corrected_query is None     # a spelling variant, not a typo
    nothing = run_search("xqzvw")
    assert nothing.total == 0 and nothing.corrected_query is None


@pytest.mark.parametrize("text", ["title:(", "*", "~", "madu~2", "title:madu OR kopi*", "\"unclosed", "((((",
                                  "!!!", "x" * 10_000, "madu " * 2_000, "\x00\x01madu", "🍯🍯", "' OR 1=1 --",
                                  "<script>alert(1)</script>", "ＭＡＤＵ", "\u202emadu"])
def test_hostile_text_never_errors(world, text):
    result = run_search(text)
    assert result.total >= 0


def test_query_syntax_is_only_words(world):
    for text in ("madu*", "(madu)", "madu~", "+madu", "madu^", "-madu-"):
        assert titles(run_search(text)) == titles(run_search("madu")), text
    syntax = run_search("title:(madu")                # "title" is a word no listing has: madu alone
    assert syntax.partial is True and titles(syntax) == titles(run_search("madu"))
    assert run_search("*").total == 22                # punctuation only: nothing to match, browse all


def test_long_text_is_capped(world):
    result = run_search("madu " + "x" * 10_000)
    assert result.params.q == ("madu " + "x" * 10_000)[:service.MAX_QUERY_CHARS].strip()


@pytest.mark.parametrize("args, field", [
    ({"min_price": "-1"}, "min_price"), ({"max_price": "abc"}, "max_price"), ({"min_price": "1e5"}, "min_price"),
    ({"min_price": "50000", "max_price": "1000"}, "min_price"), ({"sort": "cheapest"}, "sort"),
    ({"page": "0"}, "page"), ({"page": str(10**9)}, "page"), ({"page": "-3"}, "page"), ({"page": "2.5"}, "page"),
    ({"per_page": "0"}, "per_page"), ({"per_page": "1000"}, "per_page"), ({"in_stock": "maybe"}, "in_stock"),
    ({"category": "no-such-category"}, "category"), ({"district": "Jakarta"}, "district"),
    ({"district": "64.71.01"}, "district"), ({"min_price": "9" * 50}, "min_price"),
])
def test_bad_parameters_are_refused_naming_the_field(app, args, field):
    with pytest.raises(InvalidInput) as refused:
        service.parse_params(args)
    assert refused.value.field == field


def test_good_parameters(app):
    params = service.parse_params({"q": "  madu ", "category": "madu", "district": "loa kulu", "min_price": "0",
                                   "max_price": "200000", "in_stock": "1", "sort": "newest", "page": "2"})
    assert (params.q, params.category, params.district, params.min_price, params.max_price, params.in_stock,
            params.sort, params.page, params.per_page) == ("madu", "madu", "64.02.02", 0, 200000, True, "newest", 2, 20)
    assert service.parse_params({}) == service.SearchParams()


def test_suggestions_complete_the_last_word(world):
    assert service.suggest("kerip") == ["keripik"]
    assert service.suggest("madu kel") == ["madu kelulut"]
    suggestions = service.suggest("ke")
    assert "keripik" in suggestions and "kerupuk" in suggestions and len(suggestions) <= 8
    assert service.suggest("") == service.suggest("k") == service.suggest("madu ") == []
    assert service.suggest("*(") == []


def test_only_public_listings_are_found(world, build_listing):
    from marketplace.extensions import db

    build_listing(world.shops["samboja"], "Madu Draf Rahasia", "madu", "Belum diajukan.", 50000, 5, status="draft")
    build_listing(world.shops["samboja"], "Madu Menunggu", "madu", "Menunggu tinjauan.", 50000, 5,
                  status="pending")
    db.session.commit()
    assert not {"Madu Draf Rahasia", "Madu Menunggu"} & set(titles(run_search("madu")))


def test_a_synonym_phrase_must_sit_in_one_field_but_the_buyers_words_may_not(world, build_listing):
    """Decision: a multi-word synonym matches as a term group within one field (title, names or
    description), never as words scattered over the listing; the buyer's own words match anywhere."""
    from marketplace.extensions import db

    build_listing(world.shops["sebulu"], "Kerupuk Bawang Renyah", "keripik", "Enak dengan ikan bakar.",
                  15000, 10)
    db.session.commit()
    assert "Kerupuk Bawang Renyah" not in titles(run_search("amplang"))      # kerupuk + ikan, two fields
    assert "Kerupuk Ikan Belida" in titles(run_search("amplang"))            # kerupuk ikan, one field
    assert "Kerupuk Bawang Renyah" in titles(run_search("kerupuk ikan"))     # typed: anywhere


def test_suggestions_and_corrections_count_only_live_listings(world, make_user):
    from marketplace.extensions import db
    from marketplace.moderation import service as moderation

    assert "rotan" in service.suggest("rot")
    assert run_search("rotn").corrected_query == "rotan"
    moderation.suspend_shop(world.shops["tabang"], make_user("admin"), "Uji penangguhan toko rotan.")
    db.session.commit()
    assert not [text for text in service.suggest("rot") if "rotan" in text]
    assert run_search("rotn").corrected_query is None
    assert service.suggest("kelu") == ["kelulut"]     # words still live stay


def test_a_long_phrase_finds_the_listings_matching_most_of_its_telling_words(world, client):
    result = run_search("madu pahit asli dari hutan kalimantan")
    assert result.partial is True and result.total >= 3
    assert set(titles(result)[:3]) == MADU          # madu in the title, and asli or hutan
    assert run_search("kopi liberika enak sekali").items[0]["title"] == "Kopi Liberika Bubuk"
    assert run_search("madu kelulut").partial is False
    assert run_search("xyzzy qwerty").total == 0                 # nothing matches any word: still nothing
    answer = client.get("/api/v1/search?q=kopi+liberika+enak+sekali").get_json()
    assert answer["partial"] is True and answer["items"][0]["title"] == "Kopi Liberika Bubuk"
    page = client.get("/search?q=kopi+liberika+enak+sekali").get_data(as_text=True)
    assert "Menampilkan hasil yang cocok dengan sebagian kata" in page


def test_a_kept_answer_goes_when_the_index_changes(world, build_listing):
    from marketplace.extensions import db

    before = titles(run_search("madu"))
    assert titles(run_search("madu")) == before and "Madu Kemarau Baru" not in before
    build_listing(world.shops["samboja"], "Madu Kemarau Baru", "madu", "Panen kemarau.", 70000, 5)
    db.session.commit()
    assert "Madu Kemarau Baru" in titles(run_search("madu"))
