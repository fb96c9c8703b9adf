"""Search fixtures: a realistic little catalogue, and helpers that search the way the pages do."""
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from marketplace.catalogue import service as catalogue
from marketplace.catalogue.models import Category
from marketplace.extensions import db
from marketplace.moderation import service as moderation

# (shop name, district code)
SHOPS = {
    "loa-kulu": ("Rumah Madu Bu Sumiati", "64.02.02"),
    "anggana": ("Amplang Pak Rusdi", "64.02.04"),
    "muara-badak": ("Nira Muara Badak", "64.02.05"),
    "sebulu": ("Dapur Nurhayati", "64.02.07"),
    "kota-bangun": ("Durian Halimah", "64.02.08"),
    "tabang": ("Tenun Ibu Idah", "64.02.12"),
    "samboja": ("Kebun Pak Jumadi", "64.02.13"),
}

# (shop, title, category, description, price, stock)
LISTINGS = [
    ("loa-kulu", "Madu Kelulut Asli 250 ml", "madu", "Madu dari lebah kelulut yang dipelihara di kebun karet.", 125000, 30),
    ("tabang", "Madu Trigona Hutan", "madu", "Madu lebah tanpa sengat dari hutan.", 150000, 5),
    ("samboja", "Madu Hutan Liar", "madu", "Dipanen dari pohon tinggi di hutan.", 90000, 0),
    ("anggana", "Amplang Ikan Pipih", "kerupuk-amplang", "Renyah, dari ikan pipih Sungai Mahakam.", 25000, 80),
    ("anggana", "Kerupuk Ikan Belida", "kerupuk-amplang", "Kerupuk ikan dari belida segar.", 30000, 40),
    ("anggana", "Kerupuk Udang Mentah", "kerupuk-amplang", "Dari udang tangkapan nelayan, tinggal goreng.", 35000, 50),
    ("muara-badak", "Gula Aren Cetak", "gula-pemanis", "Nira aren dimasak di tungku kayu.", 30000, 50),
    ("muara-badak", "Gula Semut Organik", "gula-pemanis", "Butiran halus dari nira pohon kelapa.", 35000, 40),
    ("samboja", "Gula Merah Kelapa", "gula-pemanis", "Dicetak dalam batok.", 20000, 25),
    ("sebulu", "Keripik Pisang Manis", "keripik", "Pisang kepok digoreng renyah.", 18000, 70),
    ("sebulu", "Keripik Singkong Balado", "keripik", "Kami mengolah singkong menjadi camilan pedas.", 15000, 45),
    ("samboja", "Pisang Kepok Segar", "hasil-hutan-kebun", "Satu sisir pisang kepok matang.", 12000, 10),
    ("kota-bangun", "Lempok Durian Asli", "kue-dodol", "Durian lokal dimasak berjam-jam tanpa pewarna.", 60000, 15),
    ("kota-bangun", "Dodol Durian Mini", "kue-dodol", "Bungkus kecil untuk oleh-oleh.", 25000, 60),
    ("kota-bangun", "Manisan Pala Kering", "kue-dodol", "Buah pala direndam gula.", 22000, 20),
    ("samboja", "Rambutan Binjai", "hasil-hutan-kebun", "Rambutan dari kebun sendiri.", 20000, 12),
    ("tabang", "Kain Ulap Doyo Motif Naga", "kain-tenun", "Ditenun dari serat daun doyo.", 850000, 3),
    ("tabang", "Selendang Tenun Doyo", "kain-tenun", "Selendang untuk acara adat.", 350000, 4),
    ("tabang", "Tas Anyaman Rotan", "anyaman", "Karya pengrajin rotan desa.", 175000, 8),
    ("samboja", "Olahan Ikan Haruan", "abon-olahan-ikan", "Abon dari ikan gabus sungai.", 40000, 35),
    ("sebulu", "Kopi Liberika Bubuk", "kopi", "Biji liberika sangrai sedang.", 45000, 25),
    ("samboja", "Teh Rempah Hangat", "teh-herbal", "Campuran jahe, serai dan madu kelulut.", 28000, 30),
]


@dataclass
class World:
    """The catalogue of a test: shops by key and products by title."""

    shops: dict
    products: dict


@pytest.fixture
def build_listing(app, make_user):
    """Create an approved listing through the real services, without committing."""
    return listing_builder(make_user("admin"))


def listing_builder(admin):
    """build_listing's function, approving as `admin`."""

    def build(shop, title, category, description, price, stock, status="approved"):
        category_id = db.session.scalar(select(Category.id).where(Category.slug == category))
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title=title, description=description, category_id=category_id, price_idr=price, stock=stock,
            unit="1 bungkus"))
        if status != "draft":
            catalogue.submit_product(product)
        if status == "approved":
            moderation.approve_product(product, admin)
        return product

    return build


BACKENDS = ("whoosh", "postgres")


def use_backend(app, name):
    """Switch the test app to a search backend; skips PostgreSQL's on a SQLite run."""
    if name == "postgres" and not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the PostgreSQL search backend runs when TEST_DATABASE_URL names a PostgreSQL server")
    app.config["SEARCH_BACKEND"] = name
    return name


@pytest.fixture
def search_backend(request, app):
    """The backend of a test: Whoosh, or each in turn with ON_EVERY_BACKEND (or every_backend)."""
    return use_backend(app, getattr(request, "param", "whoosh"))


ON_EVERY_BACKEND = pytest.mark.parametrize("search_backend", BACKENDS, indirect=True)


@pytest.fixture(params=BACKENDS)
def every_backend(request, app):
    """Each search backend in turn."""
    return use_backend(app, request.param)


@pytest.fixture
def world(app, search_backend, make_shop, build_listing):
    """The catalogue of LISTINGS, approved and indexed (one commit, one drain)."""
    shops = {key: make_shop(name=name, district_code=code) for key, (name, code) in SHOPS.items()}
    products = {}
    for shop_key, title, category, description, price, stock in LISTINGS:
        products[title] = build_listing(shops[shop_key], title, category, description, price, stock)
    db.session.commit()
    return World(shops, products)


@dataclass
class Catalogue:
    """The catalogue of LISTINGS built once for a module, committed in a database of its own (with `app`), indexed
    by Whoosh in `index_dir` and (on PostgreSQL) in the search tables."""

    app: object
    shop_ids: dict
    product_ids: dict
    index_dir: str


@pytest.fixture(scope="module")
def catalogue_market(server_database, tmp_path_factory):
    """The `world` catalogue, built once for the tests of a module that share it (see `shared_world_app`):
    building it (a user per shop, 7 shops, 22 listings approved, analysed and indexed) cost each test more than
    its searches did. Its database is its own, so that the module's other tests see the suite's usual one."""
    from marketplace.catalogue.categories import ensure_categories
    from tests.conftest import _test_app, app_settings, shop_maker, user_maker

    files = tmp_path_factory.mktemp("search-catalogue")
    app = _test_app(app_settings(files, server_database(files)))
    with app.app_context():
        db.create_all()
        ensure_categories()
        db.session.commit()
        make_user = user_maker()
        make_shop = shop_maker(make_user)
        build = listing_builder(make_user("admin"))
        shops = {key: make_shop(name=name, district_code=code) for key, (name, code) in SHOPS.items()}
        products = {}
        for shop_key, title, category, description, price, stock in LISTINGS:
            products[title] = build(shops[shop_key], title, category, description, price, stock)
        db.session.commit()  # drained into the Whoosh index (SEARCH_BACKEND is whoosh by default)
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            from marketplace.search.postgres.backend import PostgresBackend

            # What the drain of that commit writes when SEARCH_BACKEND is postgres.
            PostgresBackend(app).apply(db.engine, [product.id for product in products.values()])
        shared = Catalogue(app, {key: shop.id for key, shop in shops.items()},
                           {title: product.id for title, product in products.items()}, app.config["SEARCH_INDEX_DIR"])
        db.session.remove()
    yield shared
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def shared_world_app(request, tmp_path, database_url):
    """An `app` for modules that share one catalogue: a test that asks for `world` gets the catalogue's app, every
    database change rolled back at its end and a copy of the catalogue's Whoosh index in its own tmp_path; every
    other test gets the usual app."""
    import shutil

    from tests.conftest import _fresh_state, _rolled_back, app_of_test

    if "world" not in request.fixturenames or request.node.get_closest_marker("own_app"):
        with app_of_test(request, tmp_path, database_url) as app:
            yield app
        return
    shared = request.getfixturevalue("catalogue_market")
    with _fresh_state(shared.app, tmp_path), shared.app.app_context(), _rolled_back():
        shutil.copytree(shared.index_dir, shared.app.config["SEARCH_INDEX_DIR"])
        yield shared.app


def sharing_the_catalogue():
    """`app, world = sharing_the_catalogue()` in a test module: its `world` tests share the catalogue built once
    for the module (catalogue_market), each rolled back in it; its other tests get the usual app."""

    @pytest.fixture
    def app(shared_world_app):
        return shared_world_app

    @pytest.fixture
    def world(shared_world):
        return shared_world

    return app, world


@pytest.fixture
def shared_world(app, search_backend, catalogue_market):
    """The module's catalogue (for `world` with shared_world_app), in this test's session."""
    from marketplace.catalogue.models import Product
    from marketplace.shops.models import Shop

    return World({key: db.session.get(Shop, id_) for key, id_ in catalogue_market.shop_ids.items()},
                 {title: db.session.get(Product, id_) for title, id_ in catalogue_market.product_ids.items()})


def run_search(q="", **args):
    """service.search as the views call it: arguments parsed and validated first."""
    from marketplace.search import service

    return service.search(service.parse_params({"q": q, **{k: str(v) for k, v in args.items()}}))


def titles(result):
    """The titles of a result page, in order."""
    return [item["title"] for item in result.items]
