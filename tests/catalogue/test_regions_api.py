"""/api/v1/regions/<code>: the lists that checkout and the shop form fill without reloading."""
import pytest


def test_region_lists_for_forms_that_fill_without_a_reload(client):
    with client.get("/api/v1/regions/64.02") as response:
        assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=86400"
        children = response.json["children"]
    assert {"code": "64.02.02", "name": "Loa Kulu"} in children


@pytest.mark.parametrize("code", ["99.99", "64.02.02.2001x", "x" * 300, "%00", "64..02"])
def test_unknown_regions_are_404(client, code):
    assert client.get(f"/api/v1/regions/{code}").status_code == 404
