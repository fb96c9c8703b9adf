"""Security from the first line: CSRF on every POST route, security headers, cookies, SECRET_KEY, no inline script.

Routes are discovered from the app's url_map, so routes added later by any feature are covered without
touching this file.
"""
import os
import uuid
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from werkzeug.routing.converters import AnyConverter, IntegerConverter, PathConverter, UUIDConverter

from marketplace import create_app
from marketplace.extensions import db
from marketplace.security import CONTENT_SECURITY_POLICY
from tests.conftest import TEST_PASSWORD, Auth, app_settings, csrf_token
from tests.worlds import module_world

# Stripe signs its webhook; it cannot carry a CSRF token and is verified by signature instead.
CSRF_EXEMPT_RULES = {"/webhooks/stripe"}
ROLES = ["anonymous", "buyer", "producer", "admin"]
# Fields a form might read; if a route ever skipped the CSRF check, these would make it act.
FORM_FIELDS = {"name": "Penyusup", "title": "Penyusup", "reason": "x", "quantity": "1", "stock": "0",
               "price_idr": "1", "note": "x", "status": "approved", "role": "admin"}


def _url_map_rules():
    """The app's routes, read from a throw-away app at collection time."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "route-discovery", "TESTING": True})
    return sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))


RULES = _url_map_rules()
POST_RULES = [rule for rule in RULES if "POST" in rule.methods and rule.rule not in CSRF_EXEMPT_RULES]
GET_RULES = [rule for rule in RULES if "GET" in rule.methods]


def build_world(make):
    """A buyer, an admin and a producer with a shop and an approved product."""
    producer = make.user("producer")
    shop = make.shop(owner=producer)
    return {"buyer": make.user("buyer"), "producer": producer, "admin": make.user("admin"),
            "shop": shop, "product": make.product(shop=shop)}


# Built once for the module (the routes' tests are hundreds), each test rolled back to it.
world_built, app, world = module_world(build_world)


def url_for_rule(rule, world):
    """The rule's URL with its arguments filled: real ids and slugs where the name says which, else dummies."""
    values = {}
    for name, converter in rule._converters.items():
        values[name] = _dummy_value(name, converter, world)
    return rule.build(values, append_unknown=False)[1]


def _dummy_value(name, converter, world):
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    owner = world["shop"] if "shop" in name else world["product"]
    if isinstance(converter, IntegerConverter):
        return owner.id if name in ("id", "product_id", "shop_id") else 1
    if isinstance(converter, PathConverter):
        return "dummy/path"
    return owner.slug if "slug" in name else "dummy"


def log_in_as(client, role, world):
    """Log the client in through the real login form, or leave it anonymous."""
    if role != "anonymous":
        response = Auth(client).login(world[role].email)
        assert response.status_code == 302, f"could not log in as {role}"


def database_snapshot():
    """Every row of every table, so that any change at all shows."""
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(sa.select(table)))
            for table in db.metadata.sorted_tables}


def files_under(path):
    """Every file below a directory (media, search index)."""
    return sorted(os.path.join(root, name) for root, _dirs, names in os.walk(path) for name in names)


def test_route_discovery_sees_the_known_post_routes():
    discovered = {rule.rule for rule in POST_RULES}
    assert {"/login", "/register", "/logout", "/account/password"} <= discovered


@pytest.mark.parametrize("rule", POST_RULES, ids=lambda rule: f"{rule.endpoint}")
def test_post_without_valid_csrf_token_is_refused(app, world, rule):
    """For every role (one app and one world per route keeps the suite fast): no token, a token of another
    session, a huge token; each refused, and nothing changed."""
    url = url_for_rule(rule, world)
    foreign_token = csrf_token(app.test_client(), "/login")
    fields = {**FORM_FIELDS, "email": world["buyer"].email, "password": TEST_PASSWORD}
    for role in ROLES:
        client = app.test_client()
        log_in_as(client, role, world)
        before, media_before = database_snapshot(), files_under(app.config["MEDIA_ROOT"])
        for data in (fields, {**fields, "csrf_token": foreign_token}, {**fields, "csrf_token": "x" * 10_000}):
            response = client.post(url, data=data)
            assert response.status_code in (400, 401, 403, 404), (role, url, response.status_code)
            if response.status_code == 400:
                assert "kedaluwarsa" in response.get_data(as_text=True), (role, "400 for another reason than CSRF")
        assert database_snapshot() == before, (role, "the refused POST changed the database")
        assert files_under(app.config["MEDIA_ROOT"]) == media_before, (role, "the refused POST stored files")
        if role != "anonymous":
            assert client.get("/account/password").status_code == 200, (role, "the refused POST logged out")


def test_same_post_with_token_is_accepted(client, world):
    """The refusal above comes from the missing token, not from the request itself."""
    response = client.post("/login", data={"email": world["buyer"].email, "password": TEST_PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302


def test_csp_has_no_inline_script_and_the_required_directives():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    for name in ("script-src", "style-src"):
        assert directives.get(name, "'self'") == "'self'"


SPECIAL_REQUESTS = [("GET", "/no-such-page"), ("POST", "/login"), ("DELETE", "/login"),
                    ("GET", "/account/password"), ("GET", "/static/site.css"), ("GET", "/healthz")]


def _header_requests():
    for rule in GET_RULES:
        yield pytest.param("GET", rule, id=f"GET {rule.rule}")
    for method, path in SPECIAL_REQUESTS:
        yield pytest.param(method, path, id=f"{method} {path}")


def assert_security_headers(response, production=False):
    """The headers every response carries."""
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin", "no-referrer")
    if production:
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert int(headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    else:
        assert "Strict-Transport-Security" not in headers


@pytest.mark.parametrize("method, target", list(_header_requests()))
def test_security_headers_on_every_response(client, world, method, target):
    path = target if isinstance(target, str) else url_for_rule(target, world)
    with client.open(path, method=method) as response:
        assert_security_headers(response)


@pytest.fixture
def production_app(monkeypatch, tmp_path, database_url):
    """The app as it runs in production (no database writes happen through it)."""
    monkeypatch.setenv("PRODUCTION", "1")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_example")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_live_example")
    monkeypatch.setenv("SITE_URL", "http://localhost")
    app = create_app(app_settings(tmp_path, database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/static/site.css"])
def test_production_adds_hsts(production_app, path):
    with production_app.test_client().get(path) as response:
        assert_security_headers(response, production=True)


def cookie_attributes(response, name):
    """The attributes of one Set-Cookie header, lower-cased."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set")


def test_session_cookie_flags_in_development(client, auth, make_user):
    response = auth.login(make_user().email)
    attributes = cookie_attributes(response, "session")
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert "secure" not in attributes


def test_cookie_flags_in_production(production_app):
    client = production_app.test_client()
    for name in ("session", "lang"):
        attributes = cookie_attributes(client.get("/login?lang=en"), name)
        assert {"httponly", "secure"} <= set(attributes)
        assert attributes["samesite"].lower() == "samesite=lax"


class InlineCodeFinder(HTMLParser):
    """Everything a CSP without 'unsafe-inline' would block: inline scripts, styles and handlers."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")


@pytest.mark.parametrize("role", ROLES)
def test_no_inline_code_on_any_page(client, world, role):
    log_in_as(client, role, world)
    pages = [url_for_rule(rule, world) for rule in GET_RULES if rule.endpoint != "static"]
    pages += ["/no-such-page", "/?lang=en", "/login?lang=en"]
    checked = 0
    for path in pages:
        with client.get(path) as response:
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else None
        if html is None:
            continue
        finder = InlineCodeFinder()
        finder.feed(html)
        assert finder.found == [], (path, finder.found)
        checked += 1
    assert checked >= 3


def test_no_inline_code_on_form_errors(client):
    response = client.post("/register", data={"email": "<script>x</script>", "password": "short",
                                              "csrf_token": csrf_token(client, "/register")})
    assert response.status_code == 422
    finder = InlineCodeFinder()
    finder.feed(response.get_data(as_text=True))
    assert finder.found == []


def test_csp_keeps_forms_on_this_site():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["form-action"] == "'self'"


@pytest.mark.parametrize("role", ["buyer", "producer", "admin"])
def test_every_page_of_a_logged_in_user_is_never_stored(client, world, role, make_order):
    order = make_order(buyer=world["buyer"], lines=[(world["product"], 1)])
    log_in_as(client, role, world)
    pages = [url_for_rule(rule, world) for rule in GET_RULES if rule.endpoint != "static"]
    pages += [f"/orders/{order.code}", "/no-such-page"]
    for path in pages:
        with client.get(path) as response:
            assert response.headers.get("Cache-Control") == "no-store", (role, path, response.status_code)


def test_a_visitor_without_a_session_gets_cacheable_pages(client, world):
    with client.get("/search?q=madu") as response:  # read the (empty) session, wrote nothing to it
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
    with client.get("/login") as response:  # a CSRF token in the page: this visitor's own
        assert response.headers["Cache-Control"] == "no-store"
