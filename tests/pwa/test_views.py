"""The installable app's server side: manifest, service worker, offline page, fresh CSRF tokens, and the
logout answer that clears the phone."""
import json
import re

from PIL import Image

from marketplace import ROOT
from marketplace.pwa import ICON_SIZES


def test_the_manifest_names_the_app_its_icons_and_a_producers_start(client, make_user, auth):
    anonymous = client.get("/manifest.webmanifest")
    assert anonymous.mimetype == "application/manifest+json"
    body = json.loads(anonymous.get_data())
    assert body["start_url"] == "/" and body["display"] == "standalone" and body["theme_color"]
    for icon in body["icons"]:
        size = int(icon["sizes"].split("x")[0])
        with Image.open(f"{ROOT}/static/{icon['src'].split('/static/')[1].split('?')[0]}") as image:
            assert image.size == (size, size)
    assert sorted(int(icon["sizes"].split("x")[0]) for icon in body["icons"]) == list(ICON_SIZES)
    auth.login(make_user("producer").email)
    assert json.loads(client.get("/manifest.webmanifest").get_data())["start_url"] == "/dashboard"


def test_the_service_worker_precaches_the_shell_and_never_intercepts_changes(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript" and response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", script).group(1))
    paths = {path.split("?")[0] for path in precache}     # static files carry their content hash (?v=)
    assert {"/static/site.css", "/offline", "/static/icons/icon-192.png"} <= paths
    for path in precache:
        with client.get(path) as cached:
            assert cached.status_code == 200, path
    assert 'request.method !== "GET"' in script
    assert "Anda sedang offline; halaman ini disimpan pukul {time} WITA" in script
    assert "You are offline; this page was saved at {time} WITA" in script


def test_the_offline_page_is_the_same_for_everyone(client, make_user, auth):
    anonymous = client.get("/offline").get_data(as_text=True)
    auth.login(make_user("producer", name="Ibu Sari").email)
    assert "Ibu Sari" not in client.get("/offline").get_data(as_text=True)
    assert "Anda sedang offline" in anonymous


def test_a_fresh_csrf_token_only_for_a_session(client, make_user, auth):
    assert client.get("/api/csrf-token").status_code == 401
    auth.login(make_user("producer").email)
    response = client.get("/api/csrf-token")
    assert response.headers["Cache-Control"] == "no-store" and len(response.get_json()["csrf_token"]) > 20


def test_logout_tells_the_browser_to_clear_caches_and_drafts(client, make_user, auth):
    auth.login(make_user("producer").email)
    assert "Clear-Site-Data" not in client.get("/").headers
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_every_page_links_the_manifest_and_the_offline_script(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest"' in html and "js/offline.js" in html


def test_every_script_and_the_service_worker_weigh_under_30_kb_compressed():
    from bench.script_weight import BUDGET_BYTES, weights

    found = weights()
    assert "static/js/offline.js" in found and "/sw.js" in found
    assert sum(packed for _raw, packed in found.values()) < BUDGET_BYTES
