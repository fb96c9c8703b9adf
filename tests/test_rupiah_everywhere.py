"""One rule for rupiah typed anywhere: '200.000', '200000' and 'Rp200.000' are the same amount."""
import pytest

from marketplace.text import parse_rupiah

SAME = ["200.000", "200000", "Rp200.000", "Rp 200.000", "rp200000", "Rp200.000,-", "IDR 200.000", " 200.000 "]
REFUSED = ["200,5", "20.00", "2.00.000", "Rp", "", "dua ratus ribu", "200.000.", "1e6", "２００"]


@pytest.mark.parametrize("typed", SAME)
def test_the_ways_people_type_an_amount_mean_the_same(typed):
    assert parse_rupiah(typed) == 200_000


@pytest.mark.parametrize("typed", REFUSED)
def test_what_is_not_whole_rupiah_is_refused(typed):
    with pytest.raises(ValueError):
        parse_rupiah(typed)


@pytest.mark.parametrize("typed", ["200.000", "200000", "Rp200.000"])
def test_the_search_price_filter_reads_them_alike(client, typed):
    page = client.get("/search", query_string={"q": "madu", "max_price": typed})
    assert page.status_code == 200
    assert 'value="200.000"' in page.get_data(as_text=True)
    api = client.get("/api/v1/search", query_string={"q": "madu", "min_price": typed})
    assert api.status_code == 200


@pytest.mark.parametrize("typed", ["200,5", "-5", "x" * 5000, "Rp-200"])
def test_the_search_price_filter_refuses_the_rest_clearly(client, typed):
    page = client.get("/search", query_string={"min_price": typed})
    assert page.status_code == 400 and "misalnya 200.000" in page.get_data(as_text=True)
    assert client.get("/api/v1/search", query_string={"min_price": typed}).json["field"] == "min_price"


def test_the_search_form_lets_the_browser_send_dots(client):
    html = client.get("/search?q=madu").get_data(as_text=True)
    assert 'pattern="[0-9]*"' not in html
