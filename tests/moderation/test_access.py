"""Every admin route: only admins get in; anybody else gets the login page or 403 and changes nothing.
Every admin POST also needs its CSRF token."""
import pytest
import sqlalchemy as sa

from dataclasses import fields

from marketplace.catalogue import service as catalogue
from marketplace.catalogue.edits import edit_version
from marketplace.extensions import db
from marketplace.moderation import service
from tests.conftest import Auth, csrf_token

GET_ROUTES = ["/admin", "/admin/antrean", "/admin/berubah", "/admin/produk/{approved}", "/admin/laporan",
              "/admin/toko", "/admin/toko/{shop}", "/admin/audit", "/admin/reviews", "/admin/orders/flagged"]
# Each POST with the fields that would make it act, so that a missing check would show as a change.
POST_ROUTES = [
    ("/admin/antrean/setujui", {"product_ids": "{pending}"}),
    ("/admin/produk/{pending}/setujui", {}),
    ("/admin/produk/{pending}/tolak", {"reason": "unclear_photo", "note": "x"}),
    ("/admin/produk/{approved}/konfirmasi?seen={seen}", {}),
    ("/admin/produk/{approved}/tolak-perubahan?seen={seen}", {"reason": "prohibited", "note": "x"}),
    ("/admin/produk/{approved}/turunkan", {"reason": "prohibited", "note": "x"}),
    ("/admin/laporan/produk/{approved}", {"action": "unpublish", "reason": "prohibited", "note": "x"}),
    ("/admin/laporan/toko/{shop}", {"action": "suspend", "note": "x"}),
    ("/admin/toko/{shop}/bekukan", {"reason": "x"}),
    ("/admin/toko/{suspended}/pulihkan", {"note": "x"}),
    ("/admin/toko/{shop}/percayai", {}),
    ("/admin/toko/{trusted}/cabut-tepercaya", {}),
    ("/admin/reviews/{review}/hide", {"reason": "Berisi nomor telepon pribadi"}),
]
MODERATION_TABLES = ("product", "shop", "moderation_decision", "product_snapshot", "report", "review",
                     "product_edit", "product_edit_image")


@pytest.fixture(scope="module")
def world_rows(shared_app, tmp_path_factory):
    """Something for every admin action to act on, and one person of each role: built once for the module (a
    paid, completed and reviewed order goes through checkout, the payment stand-in and its webhook), in a
    transaction of its own connection that is never committed. Every test works in a savepoint of it (see
    `app` below), rolled back at its end, so each test sees these rows exactly as built."""
    from marketplace.accounts.models import User
    from tests.conftest import _fresh_state, order_maker, product_maker, session_on, shop_maker, user_maker

    with _fresh_state(shared_app, tmp_path_factory.mktemp("access-world")), shared_app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        with session_on(connection):
            make_user = user_maker()
            make_shop = shop_maker(make_user)
            make_product = product_maker(make_shop, make_user)
            make_order = order_maker(shared_app, make_user, make_product)
            admin = make_user("admin", name="Admin Rahmat")
            shop, suspended, trusted = make_shop(), make_shop(), make_shop()
            approved = make_product(shop=shop)
            current = {field.name: getattr(approved, field.name) for field in fields(catalogue.ProductDetails)}
            catalogue.update_product(approved, catalogue.ProductDetails(
                **{**current, "title": "Judul menunggu tinjauan"}))
            service.file_report(reason="scam", address_hash="f" * 64, product=approved)
            service.file_report(reason="scam", address_hash="f" * 64, shop=shop)
            service.suspend_shop(suspended, admin, "Penipuan")
            service.set_trusted(trusted, admin, True)
            db.session.commit()
            rows = {"pending": make_product(shop=shop, status="pending").id, "approved": approved.id,
                    "shop": shop.id, "suspended": suspended.id, "trusted": trusted.id,
                    "review": _review(make_order).id, "admin": admin.id, "buyer": make_user("buyer").id,
                    "producer": shop.owner.id, "seen": edit_version(approved)}
            assert db.session.get(User, rows["admin"]).role == "admin"
    try:
        yield connection, rows
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def app(shared_app, tmp_path, world_rows):
    """The shared app, its files in this test's tmp_path, every database change rolled back to the module's
    world as built."""
    from tests.conftest import _fresh_state, _rolled_back

    connection, _rows = world_rows
    with _fresh_state(shared_app, tmp_path), shared_app.app_context(), _rolled_back(connection):
        yield shared_app


@pytest.fixture
def admin(app, world_rows):
    """The world's administrator."""
    from marketplace.accounts.models import User

    return db.session.get(User, world_rows[1]["admin"])


@pytest.fixture
def world(app, world_rows):
    """The module's world: ids of what admin actions act on, and the users of each role, in this test's session."""
    from marketplace.accounts.models import User

    rows = dict(world_rows[1])
    for role in ("admin", "buyer", "producer"):
        rows[role] = db.session.get(User, rows[role])
    return rows


def _review(make_order):
    """A buyer's review of a completed order, through the real order and review services."""
    from marketplace.orders import service as orders
    from marketplace.reviews import service as reviews

    order = make_order()
    part = order.shop_orders[0]
    orders.accept_shop_order(part, part.shop.owner)
    orders.ship_shop_order(part, part.shop.owner, "jne", "JP123456")
    orders.confirm_receipt(part, order.buyer)
    review = reviews.write_review(order.buyer, part.items[0], 5, "Mantap")
    db.session.commit()
    return review


def fill(template, world):
    return template.format(**{key: value for key, value in world.items() if isinstance(value, (int, str))})


def moderation_rows():
    """Every row of the tables moderation touches."""
    db.session.expire_all()
    return {name: sorted(repr(tuple(row)) for row in db.session.execute(sa.select(db.metadata.tables[name])))
            for name in MODERATION_TABLES}


def log_in(client, role, world):
    if role != "anonymous":
        assert Auth(client).login(world[role].email).status_code == 302


# Admin pages of money have their own access tests (tests/ledger/test_views.py, tests/payments/test_admin_views.py).
MONEY_ADMIN_PREFIXES = ("/admin/keuangan", "/admin/payments")


def test_the_lists_above_cover_every_admin_route(app):
    listed = {route for route in GET_ROUTES} | {route for route, _data in POST_ROUTES}
    rules = {rule.rule.replace("<int:product_id>", "{x}").replace("<int:shop_id>", "{x}")
             .replace("<int(max=2147483647):review_id>", "{x}") for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/admin") and not rule.rule.startswith(MONEY_ADMIN_PREFIXES)}
    normalised = {route.replace("{approved}", "{x}").replace("{pending}", "{x}").replace("{shop}", "{x}")
                  .replace("{suspended}", "{x}").replace("{trusted}", "{x}").replace("{review}", "{x}")
                  for route in (route.split("?")[0] for route in listed)}
    assert rules == normalised


@pytest.mark.parametrize("role", ["anonymous", "buyer", "producer"])
@pytest.mark.parametrize("route", GET_ROUTES)
def test_admin_pages_are_for_admins_only(client, world, role, route):
    log_in(client, role, world)
    response = client.get(fill(route, world))
    if role == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("route", GET_ROUTES)
def test_admin_pages_open_for_admins(admin_client, world, route):
    assert admin_client.get(fill(route, world)).status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "buyer", "producer"])
@pytest.mark.parametrize("route, data", POST_ROUTES, ids=[route for route, _data in POST_ROUTES])
def test_admin_actions_refuse_everybody_else_and_change_nothing(client, world, role, route, data):
    log_in(client, role, world)
    token = csrf_token(client, "/login" if role == "anonymous" else "/")
    before = moderation_rows()
    response = client.post(fill(route, world), data={**{k: fill(v, world) for k, v in data.items()},
                                                     "csrf_token": token})
    if role == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403
    assert moderation_rows() == before


@pytest.mark.parametrize("route, data", POST_ROUTES, ids=[route for route, _data in POST_ROUTES])
def test_admin_actions_need_the_csrf_token(admin_client, world, route, data):
    before = moderation_rows()
    fields = {k: fill(v, world) for k, v in data.items()}
    for token in (None, "forged", "x" * 10_000):
        response = admin_client.post(fill(route, world), data=fields if token is None else {
            **fields, "csrf_token": token})
        assert response.status_code == 400
        assert "kedaluwarsa" in response.get_data(as_text=True)
    assert moderation_rows() == before


@pytest.mark.parametrize("route, data", POST_ROUTES, ids=[route for route, _data in POST_ROUTES])
def test_admin_actions_act_for_admins(admin_client, world, route, data):
    """The same requests, by an admin with a token, do change something: the refusals above are real."""
    before = moderation_rows()
    response = admin_client.post(fill(route, world), data={**{k: fill(v, world) for k, v in data.items()},
                                                           "csrf_token": csrf_token(admin_client, "/admin/toko")})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert moderation_rows() != before


@pytest.mark.parametrize("route", ["/admin/produk/{missing}", "/admin/toko/{missing}", "/admin/produk/{huge}",
                                   "/admin/toko/{huge}"])
def test_unknown_ids_are_404(admin_client, route):
    for method in ("get", "post"):
        url = route.format(missing=987654321, huge=10**20)
        if method == "post":
            url += "/setujui" if "produk" in url else "/bekukan"
        response = getattr(admin_client, method)(url, data={"csrf_token": csrf_token(admin_client, "/admin/toko"),
                                                            "reason": "x"})
        assert response.status_code == 404
