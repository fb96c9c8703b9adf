"""Search speed: both search backends against SQLite FTS5 and plain PostgreSQL full-text, on the same
synthetic listings, in one run.

    .venv/bin/python bench/search.py --listings 10000 100000 [--per-kind 50] [--seed 20261128]
                                     [--postgres URL | --no-postgres] [--keep DIR]

For each size, builds a deterministic synthetic Indonesian catalogue of N approved listings (bulk inserts;
the services are not what is measured here) twice: in a throw-away SQLite database and in a throw-away
database on --postgres's server (default $TEST_DATABASE_URL, else postgresql+psycopg://postgres@127.0.0.1/test).

- Whoosh backend (SQLite): the project's own rebuild (`flask search reindex`'s code: database ->
  documents -> Whoosh, new directory, atomic switch); index size on disk.
- PostgreSQL backend: the same rebuild into search_document and search_word; their size with indexes.
- SQLite FTS5 and plain PostgreSQL full-text (Snowball `indonesian`, weighted title/names/description,
  GIN index, no trigram table): the same listings, a ranked page of 20 plus category and district counts
  (their sum is the total) with the same filters; neither gets typo correction, synonyms or Sastrawi.

Both backends' query mix (one word, two words, filters, a facet-heavy broad word, typos, prefixes) runs in
a fresh process, as a gunicorn worker would, through marketplace.search.service.search, the function
behind /search and /api/v1/search (every call computes the total and both facets); the process reports
its memory (RSS now, and its peak) after the mix. The yardsticks run in this process. Then a single
listing change: Whoosh's commit + drain, and on PostgreSQL the same change of the same listing (a stock
change, and a title edit) committed through the same session with the search document written in its
transaction and with search told to ignore the session, alternating which goes first, 100 times each.

Prints build times, sizes, median and p95 per kind and overall (wall and this process's CPU), ratios, the
workers' CPU p95 and peak memory, and the machine's load averages. On a loaded machine wall times mean
little: compare CPU (this process's, and the PostgreSQL server process's, read from /proc). Goals: Whoosh p95 < 30 ms at 10,000 listings and <= FTS5's
at 100,000; the PostgreSQL backend's p95 within 2x FTS5's at 100,000; a listing change < 5 ms more with
the PostgreSQL backend than without search; a rebuild of 100,000 under 90 s.
"""
import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

GOODS = {  # category slug: product names
    "madu": ["Madu Kelulut", "Madu Hutan", "Madu Trigona", "Madu Lebah Hutan", "Madu Klanceng"],
    "kerupuk-amplang": ["Amplang Ikan Pipih", "Kerupuk Ikan", "Amplang Udang", "Kerupuk Udang", "Kerupuk Ikan Belida"],
    "keripik": ["Keripik Pisang", "Keripik Singkong", "Keripik Talas", "Keripik Tempe", "Keripik Nangka"],
    "kue-dodol": ["Lempok Durian", "Dodol Durian", "Dodol Ketan", "Kue Bingka", "Kue Amparan Tatak"],
    "abon-olahan-ikan": ["Abon Ikan Haruan", "Ikan Asin Sepat", "Abon Ikan Patin", "Terasi Udang", "Ikan Salai Baung"],
    "kopi": ["Kopi Liberika", "Kopi Robusta", "Kopi Bubuk", "Biji Kopi Sangrai", "Kopi Jahe"],
    "teh-herbal": ["Teh Daun Kelor", "Teh Serai", "Wedang Jahe", "Teh Rosella", "Teh Daun Sirsak"],
    "gula-pemanis": ["Gula Aren", "Gula Semut", "Gula Merah", "Gula Kelapa", "Gula Aren Cair"],
    "bumbu-rempah": ["Lada Hitam", "Jahe Merah", "Kayu Manis", "Kunyit Bubuk", "Sambal Terasi", "Cabai Kering"],
    "hasil-hutan-kebun": ["Rambutan", "Durian Lokal", "Cempedak", "Pisang Kepok", "Rotan Mentah", "Jengkol"],
    "anyaman": ["Tas Anyaman Rotan", "Keranjang Rotan", "Tikar Pandan", "Topi Anyaman", "Bakul Bambu"],
    "kain-tenun": ["Kain Ulap Doyo", "Tenun Doyo", "Sarung Tenun", "Selendang Doyo", "Taplak Tenun"],
}
MODIFIERS = ("Asli Original Premium Super Pedas Manis Gurih Balado Khas Murni Organik Spesial Terbaik Terlaris "
             "Termurah Segar Kering Renyah Tradisional Rumahan Mini Jumbo Hemat Pilihan").split()
SIZES = ["100 g", "250 g", "500 g", "1 kg", "250 ml", "500 ml", "1 liter", "1 buah", "1 lembar", "1 paket"]
FILLER = """kualitas terjamin bahan pilihan dipanen langsung petani lokal kebun sendiri dikemas rapi higienis
aman dikonsumsi anak dewasa cocok hadiah keluarga sahabat tahan lama disimpan tempat sejuk kering diproduksi
setiap minggu pesanan dikirim hari berikutnya pengiriman seluruh indonesia harga grosir tersedia resep turun
temurun nenek moyang tanpa pengawet pewarna buatan alami sehat bergizi rasa aroma harum tekstur lembut renyah
gurih manis legit sedikit pedas nikmat disantap bersama nasi hangat teh kopi sore pengrajin perempuan
kelompok tani koperasi binaan dinas perindustrian bersertifikat halal izin edar kemasan plastik toples botol
kaca kardus karung bambu daun pisang bungkus kertas ramah lingkungan sungai mahakam danau semayang hutan
tropis olahan mengolah diolah pengolahan terbaik termurah terlaris terasa tersedia""".split()
SYLLABLES = "ba be bi bo bu da di du ka ke ki ko ku la li lu ma mi mu na ni nu pa pi ra ri ru sa si su ta ti tu ya wa".split()
SHOP_KINDS = ["Toko", "UMKM", "Rumah", "Kelompok Tani", "Dapur", "Galeri", "Koperasi"]

ONE_WORD = ["madu", "kopi", "amplang", "keripik", "gula", "rotan", "durian", "jahe", "tenun", "abon", "teh",
            "sambal", "lada", "kerupuk", "dodol", "pisang", "terasi", "cempedak", "kunyit", "kelor"]
TWO_WORDS = ["madu kelulut", "keripik pisang", "gula aren", "kopi liberika", "lempok durian", "tas rotan",
             "abon ikan", "teh kelor", "kerupuk udang", "jahe merah", "kayu manis", "ikan asin", "sambal terasi",
             "kopi bubuk", "gula semut", "tikar pandan", "ulap doyo", "kue bingka", "pisang kepok", "madu hutan"]
FILTERS = [("kopi", {"min_price": "20000", "max_price": "150000"}), ("madu", {"in_stock": "1"}),
           ("keripik", {"district": "64.02.07"}), ("gula", {"category": "gula-pemanis", "sort": "price_asc"}),
           ("rotan", {"category": "kerajinan"}), ("durian", {"sort": "newest", "page": "2"}),
           ("amplang pedas", {"max_price": "50000", "in_stock": "1"}), ("teh", {"sort": "price_desc"}),
           ("abon ikan", {"district": "64.02.11", "in_stock": "1"}), ("", {"category": "madu"})]
BROAD = ["asli", "alami", "kemasan", "tradisional", "kutai", "kalimantan", "olahan", "khas", "desa", "halal"]
TYPOS = ["madu kelulutt", "amplan", "kripik pisang", "rmabutan", "mdau", "kopi liberka", "gula aeren",
         "lempk durian", "abon ikna", "tenun dyoo", "tsmbutan", "kopi kuberika"]
PREFIXES = ["kerip", "amp", "kel", "ter", "madu kel", "gula se", "dod", "anya", "kop", "cemp"]
KINDS = {"one word": [(q, {}) for q in ONE_WORD], "two words": [(q, {}) for q in TWO_WORDS],
         "filter": FILTERS, "broad + facets": [(q, {}) for q in BROAD], "typo": [(q, {}) for q in TYPOS],
         "prefix": [(q, {}) for q in PREFIXES]}


def catalogue(count, seed):
    """(shops, listings) of a deterministic synthetic catalogue: about 20 listings per shop."""
    from marketplace import regions

    rng = random.Random(seed)
    districts = [code for code, _ in regions.home_districts()]
    villages = {code: [name for _, name in regions.children(code)] for code in districts}
    shops = []
    for number in range(max(10, count // 20)):
        district = rng.choice(districts)
        brand = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        shops.append((number + 1, f"{rng.choice(SHOP_KINDS)} {brand} {rng.choice(villages[district])}",
                       district))
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    listings = []
    for number in range(count):
        category = rng.choice(sorted(GOODS))
        base = rng.choice(GOODS[category])
        shop = shops[rng.randrange(len(shops))]
        title = " ".join([base, *rng.sample(MODIFIERS, rng.randint(0, 2)), rng.choice(SIZES)])
        words = rng.sample(FILLER, rng.randint(10, 28))
        place = rng.choice(villages[shop[2]])
        local = " Oleh-oleh khas Kutai Kartanegara, Kalimantan Timur." if rng.random() < 0.4 else ""
        description = f"{base} dari desa {place}. {' '.join(words[:9])}. {' '.join(words[9:])}.{local}"
        listings.append((number + 1, shop[0], category, title, description, rng.choice(SIZES),
                         rng.randint(5, 900) * 1000, 0 if rng.random() < 0.15 else rng.randint(1, 200),
                         start + timedelta(seconds=rng.randrange(60_000_000))))
    return shops, listings


def fill_database(app, shops, listings):
    """Bulk-insert users, shops and approved listings (Core inserts: minutes faster than the services)."""
    from sqlalchemy import insert, select, text

    from marketplace.accounts.models import User
    from marketplace.catalogue.categories import ensure_categories
    from marketplace.catalogue.models import Category, Product
    from marketplace.extensions import db
    from marketplace.shops.models import Shop

    with app.app_context():
        db.create_all()
        ensure_categories()
        db.session.commit()
        categories = dict(db.session.execute(select(Category.slug, Category.id)).all())
        db.session.execute(insert(User), [{"id": n, "email": f"p{n}@example.com", "name": f"Produsen {n}",
                                           "role": "producer", "password_hash": "x"} for n, _, _ in shops])
        db.session.execute(insert(Shop), [
            {"id": n, "owner_id": n, "name": name, "slug": f"toko-{n}", "district_code": district,
             "village_code": district + ".2001", "whatsapp": "+6281234567890"} for n, name, district in shops])
        for start in range(0, len(listings), 5000):
            db.session.execute(insert(Product), [
                {"id": n, "shop_id": shop, "category_id": categories[category], "slug": f"produk-{n}",
                 "title": title, "description": description, "unit": unit, "price_idr": price, "stock": stock,
                 "status": "approved", "approved_at": approved}
                for n, shop, category, title, description, unit, price, stock, approved
                in listings[start:start + 5000]])
        db.session.commit()
        # Fresh statistics, as autovacuum would have them in production: without them PostgreSQL plans the
        # page's listing query (20 ids) as a nested loop over every shop, 100 times slower.
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def fts5_database(path, shops, listings):
    """The same listings in an FTS5 table (title, shop/category/district names, description) plus a
    plain table of the filter and facet columns."""
    from marketplace import regions

    connection = sqlite3.connect(path)
    connection.executescript("""
        CREATE VIRTUAL TABLE fts USING fts5(title, meta, body, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE listing (id INTEGER PRIMARY KEY, category TEXT, district TEXT, price INTEGER,
                              stock INTEGER, approved TEXT);
        CREATE INDEX listing_category ON listing (category);
        CREATE INDEX listing_approved ON listing (approved);
    """)
    shop_by_id = {n: (name, district) for n, name, district in shops}
    connection.executemany("INSERT INTO fts (rowid, title, meta, body) VALUES (?, ?, ?, ?)", [
        (n, title, f"{shop_by_id[shop][0]} {regions.name(shop_by_id[shop][1])} {category}", f"{description} {unit}")
        for n, shop, category, title, description, unit, *_ in listings])
    connection.executemany("INSERT INTO listing VALUES (?, ?, ?, ?, ?, ?)", [
        (n, category, shop_by_id[shop][1], price, stock, approved.isoformat())
        for n, shop, category, _, _, unit, price, stock, approved in listings])
    connection.commit()
    return connection


PARENTS = {"kerupuk-amplang": "makanan-olahan", "keripik": "makanan-olahan", "kue-dodol": "makanan-olahan",
           "abon-olahan-ikan": "makanan-olahan", "kopi": "minuman", "teh-herbal": "minuman",
           "anyaman": "kerajinan"}


def fts5_search(connection, text, args):
    """The FTS5 yardstick: a bm25-ranked page plus category and district counts, with the filters."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split()]
    if words:
        match = " ".join(f'"{w}"' for w in words[:-1]) + (f' "{words[-1]}"*' if len(words[-1]) < 6 else f' "{words[-1]}"')
        # CROSS JOIN keeps the full-text match as the outer loop: SQLite may otherwise walk the filter
        # index and run the MATCH once per row (seconds), which would flatter the comparison.
        source = "fts CROSS JOIN listing ON listing.id = fts.rowid"
        where, params, order = ["fts MATCH ?"], [match.strip()], "bm25(fts, 10.0, 4.0, 2.0)"
    else:
        source, where, params, order = "listing", [], [], "listing.approved DESC"
    if args.get("category"):
        slug = args["category"]
        children = [child for child, parent in PARENTS.items() if parent == slug]
        where.append(f"listing.category IN ({', '.join('?' * (1 + len(children)))})")
        params += [slug, *children]
    if args.get("district"):
        where.append("listing.district = ?")
        params.append(args["district"])
    if args.get("min_price"):
        where.append("listing.price >= ?")
        params.append(int(args["min_price"]))
    if args.get("max_price"):
        where.append("listing.price <= ?")
        params.append(int(args["max_price"]))
    if args.get("in_stock"):
        where.append("listing.stock > 0")
    order = {"price_asc": "listing.price", "price_desc": "listing.price DESC",
             "newest": "listing.approved DESC"}.get(args.get("sort"), order)
    condition = " WHERE " + " AND ".join(where) if where else ""
    offset = (int(args.get("page", 1)) - 1) * 20
    page = connection.execute(f"SELECT listing.id FROM {source}{condition} ORDER BY {order} LIMIT 20 OFFSET {offset}",
                              params).fetchall()
    categories = connection.execute(f"SELECT listing.category, count(*) FROM {source}{condition} "
                                    "GROUP BY listing.category", params).fetchall()
    districts = connection.execute(f"SELECT listing.district, count(*) FROM {source}{condition} "
                                   "GROUP BY listing.district", params).fetchall()
    return sum(n for _, n in categories), page, districts


def query_mix(per_kind):
    """(kind, text, args) of the fixed mix: per_kind queries of each kind, cycling through its list."""
    return [(kind, *entries[i % len(entries)]) for kind, entries in KINDS.items() for i in range(per_kind)]


def single_edits(app, listings, seed, count=20):
    """([seconds to drain], [seconds of the next search]) of `count` single-listing stock edits through
    the outbox: commit, drain, then one search (which picks up the new index generation)."""
    from marketplace.catalogue.models import Product
    from marketplace.extensions import db
    from marketplace.search import service, sync

    rng, drains, searches = random.Random(seed), [], []
    for product_id in rng.sample(range(1, listings + 1), count):
        product = db.session.get(Product, product_id)
        product.stock += 1
        db.session.commit()
        started = time.perf_counter()
        sync.drain(app, db.engine)
        drains.append(time.perf_counter() - started)
        started = time.perf_counter()
        service.search(service.parse_params({"q": "madu"}))
        searches.append(time.perf_counter() - started)
    return drains, searches


def ms(seconds):
    return f"{seconds * 1000:7.1f}"


def percentile(values, share):
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def run_mix(mix, search):
    """{kind: [(wall seconds, CPU seconds of this process)]} of running every query of the mix once."""
    timings = {}
    for kind, text, args in mix:
        started, cpu = time.perf_counter(), time.process_time()
        search(text, args)
        timings.setdefault(kind, []).append((time.perf_counter() - started, time.process_time() - cpu))
    return timings


def report(name, timings):
    """Print median and p95 per kind and overall, and the median CPU time of this process (the whole cost
    for Whoosh and FTS5, only the client's share for PostgreSQL); returns (median, p95) overall."""
    print(f"\n{name}: {'kind':16} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'CPU p95':>8}")
    rows = list(timings.items()) + [("overall", [pair for pairs in timings.values() for pair in pairs])]
    for kind, pairs in rows:
        wall, cpu = [w for w, _ in pairs], [c for _, c in pairs]
        print(f"{'':{len(name)}}  {kind:16} {ms(statistics.median(wall)):>10} {ms(percentile(wall, .95)):>8} "
              f"{ms(statistics.median(cpu)):>8} {ms(percentile(cpu, .95)):>8}")
    everything = [w for pairs in timings.values() for w, _ in pairs]
    return statistics.median(everything), percentile(everything, .95)


def cpu_p95(timings):
    """p95 of this process's CPU time per query over the whole mix."""
    return percentile([c for pairs in timings.values() for _, c in pairs], .95)


def directory_size(path):
    """Bytes under a directory."""
    return sum(os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(path) for name in names)


PLAIN_CONFIG = "indonesian"


def plain_postgres_table(connection, shops, listings):
    """The same listings in a table with one weighted tsvector built by PostgreSQL's own parser and
    Snowball stemmer (title A, shop/category/district names B, description and unit C) and a GIN index."""
    from sqlalchemy import text as sql

    from marketplace import regions

    connection.execute(sql("""
        CREATE TABLE plain_fts (id integer PRIMARY KEY, terms tsvector, category text, district text,
                                price bigint, stock integer, approved timestamptz)"""))
    shop_by_id = {n: (name, district) for n, name, district in shops}
    rows = [{"id": n, "title": title, "meta": f"{shop_by_id[shop][0]} {regions.name(shop_by_id[shop][1])} {category}",
             "body": f"{description} {unit}", "category": category, "district": shop_by_id[shop][1],
             "price": price, "stock": stock, "approved": approved}
            for n, shop, category, title, description, unit, price, stock, approved in listings]
    statement = sql(f"""
        INSERT INTO plain_fts VALUES (:id, setweight(to_tsvector('{PLAIN_CONFIG}', :title), 'A')
            || setweight(to_tsvector('{PLAIN_CONFIG}', :meta), 'B') || setweight(to_tsvector('{PLAIN_CONFIG}', :body), 'C'),
            :category, :district, :price, :stock, :approved)""")
    for start in range(0, len(rows), 5000):
        connection.execute(statement, rows[start:start + 5000])
    connection.execute(sql("CREATE INDEX plain_fts_terms ON plain_fts USING gin (terms)"))
    connection.execute(sql("CREATE INDEX plain_fts_category ON plain_fts (category)"))
    connection.execute(sql("ANALYZE plain_fts"))


def plain_postgres_search(connection, text, args):
    """The plain PostgreSQL yardstick: a ts_rank-ranked page plus category and district counts."""
    from sqlalchemy import text as sql

    words = [w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split()]
    params, where = {}, []
    rank = "0"
    if words:
        parts = words[:-1] + [words[-1] + (":*" if len(words[-1]) < 6 else "")]
        params["q"] = " & ".join(parts)
        where.append(f"terms @@ to_tsquery('{PLAIN_CONFIG}', :q)")
        rank = f"ts_rank(terms, to_tsquery('{PLAIN_CONFIG}', :q))"
    if args.get("category"):
        slug = args["category"]
        params["categories"] = [slug, *(child for child, parent in PARENTS.items() if parent == slug)]
        where.append("category = ANY(:categories)")
    for name, clause in (("district", "district = :district"), ("min_price", "price >= :min_price"),
                         ("max_price", "price <= :max_price")):
        if args.get(name):
            params[name] = args[name] if name == "district" else int(args[name])
            where.append(clause)
    if args.get("in_stock"):
        where.append("stock > 0")
    order = {"price_asc": "price, id", "price_desc": "price DESC, id", "newest": "approved DESC, id"}.get(
        args.get("sort"), f"{rank} DESC, id" if words else "approved DESC, id")
    condition = " WHERE " + " AND ".join(where) if where else ""
    offset = (int(args.get("page", 1)) - 1) * 20
    page = connection.execute(sql(f"SELECT id FROM plain_fts{condition} ORDER BY {order} LIMIT 20 OFFSET {offset}"),
                              params).all()
    categories = connection.execute(sql(f"SELECT category, count(*) FROM plain_fts{condition} GROUP BY category"),
                                    params).all()
    districts = connection.execute(sql(f"SELECT district, count(*) FROM plain_fts{condition} GROUP BY district"),
                                   params).all()
    return sum(n for _, n in categories), page, districts


def bench_app(url, work, backend):
    """The marketplace on a bench database, with a search backend and index folder of the bench's."""
    from marketplace import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SEARCH_BACKEND": backend,
                       "SEARCH_INDEX_DIR": os.path.join(work, "index"), "SEARCH_SYNC_ON_COMMIT": False,
                       "INSTANCE_PATH": os.path.join(work, "instance")})


def memory_mb():
    """(resident now, peak resident) of this process, in MB (Linux /proc)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def server_cpu(pid):
    """CPU seconds a PostgreSQL server process has used so far (same machine; /proc: the scheduler's
    nanosecond count where the kernel keeps it, else 10 ms ticks)."""
    try:
        with open(f"/proc/{pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[0]) / 1e9
    except (OSError, IndexError, ValueError):
        pass
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(options):
    """--worker: run the query mix through service.search in this fresh process; print JSON (timings, memory)."""
    from marketplace.search import service

    app = bench_app(options.worker_url, options.worker_dir, options.worker)
    started_with = memory_mb()[0]
    with app.test_request_context("/api/v1/search"):
        def search(text, args):
            return service.search(service.parse_params({"q": text, **args}))

        started = time.perf_counter()
        search("madu", {})
        search("mdau", {})
        first = time.perf_counter() - started
        pid = None
        if options.worker == "postgres":    # the request's session keeps its connection: one server process
            from marketplace.extensions import db

            pid = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            cpu = server_cpu(pid)
        timings = run_mix(query_mix(options.per_kind), search)
        server = (server_cpu(pid) - cpu) / len(query_mix(options.per_kind)) if pid else None
    rss, peak = memory_mb()
    print(json.dumps({"timings": timings, "first": first, "rss": rss, "peak": peak, "app_rss": started_with,
                      "server_cpu": server}))


def in_worker(options, backend, url, work):
    """Run the mix in a fresh process (a worker's view: its own caches, its own memory); returns its JSON."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", backend, "--worker-url", url,
               "--worker-dir", work, "--per-kind", str(options.per_kind)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the {backend} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


CHANGES = {  # kind of listing change: how it changes a product
    "stock": lambda product, n: setattr(product, "stock", product.stock + 1),
    "title": lambda product, n: setattr(product, "title", f"{product.title.rsplit(' edisi ', 1)[0]} edisi {n}"),
}


def postgres_change_cost(app, listings, seed, count=100):
    """{kind: {"with": [(wall, client CPU, server CPU)], "without": [...]}}: the same change of the same listing
    through the same session, with the search document written in its transaction and with the search
    listener told to ignore the session; the two alternate which goes first. Server CPU is the PostgreSQL
    backend process's (see server_cpu)."""
    from marketplace.catalogue.models import Product
    from marketplace.extensions import db
    from marketplace.search.outbox import DRAIN_SESSION

    rng, figures = random.Random(seed), {kind: {"with": [], "without": []} for kind in CHANGES}
    with app.app_context():
        pid = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        db.session.remove()
        for kind, change in CHANGES.items():
            for number, product_id in enumerate(rng.sample(range(1, listings + 1), count)):
                for mode in (("with", "without") if number % 2 else ("without", "with")):
                    session = db.session()
                    if mode == "without":
                        session.info[DRAIN_SESSION] = True
                    server, started, cpu = server_cpu(pid), time.perf_counter(), time.process_time()
                    change(session.get(Product, product_id), f"{number}{mode[-1]}")
                    session.commit()
                    figures[kind][mode].append((time.perf_counter() - started, time.process_time() - cpu,
                                                server_cpu(pid) - server))
                    db.session.remove()
        if db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid:
            raise SystemExit("the change cost used more than one database connection: its server CPU is wrong")
        db.session.remove()
    return figures


def report_change_cost(figures):
    """Print the with/without figures of each kind of change: medians of wall and client CPU, mean server CPU."""
    print("\nOne listing changed and committed, with its search document written in the transaction and "
          "without search (same session, alternating):")
    print(f"  {'change':8} {'':8} {'wall ms':>8} {'CPU ms':>8} {'server ms':>10} {'CPU+server':>11}")
    for kind, modes in figures.items():
        totals = {}
        for mode in ("with", "without"):
            rows = modes[mode]
            wall, cpu = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
            server = statistics.mean(r[2] for r in rows)
            totals[mode] = (wall, cpu, server, cpu + server)
            print(f"  {kind:8} {mode:8} {ms(wall)} {ms(cpu)} {ms(server):>10} {ms(cpu + server):>11}")
        extra = [a - b for a, b in zip(totals["with"], totals["without"])]
        print(f"  {kind:8} {'extra':8} {ms(extra[0])} {ms(extra[1])} {ms(extra[2]):>10} {ms(extra[3]):>11}"
              f"   ({len(modes['with'])} changes each)")


def load_average():
    """The machine's load averages (1, 5, 15 minutes) and how many cores it has."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, nargs="+", default=[10_000])
    parser.add_argument("--per-kind", type=int, default=50, help="queries of each kind (6 kinds)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", help="work in this directory and keep it")
    parser.add_argument("--worker", choices=["whoosh", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-url", help=argparse.SUPPRESS)
    parser.add_argument("--worker-dir", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        return worker(options)
    print(f"Start: {load_average()}")
    summary = []
    for count in options.listings:
        work = options.keep or tempfile.mkdtemp(prefix="search-bench-")
        os.makedirs(work, exist_ok=True)
        try:
            summary.append(run(options, count, work))
        finally:
            if not options.keep:
                shutil.rmtree(work, ignore_errors=True)
    print(f"\nSummary (overall median / p95 in ms; ratios of p95 to FTS5's); end: {load_average()}")
    for row in summary:
        print("  " + row)
    return None


def run(options, count, work):
    """Every engine at one size; returns a summary line."""
    from marketplace.extensions import db
    from marketplace.search import analysis, sync

    for name in ("bench.db", "fts5.db"):
        if os.path.exists(os.path.join(work, name)):
            os.remove(os.path.join(work, name))
    shutil.rmtree(os.path.join(work, "index"), ignore_errors=True)
    print(f"\n=== {count} listings ({load_average()}) ===")
    sqlite_url = f"sqlite:///{work}/bench.db"
    app = bench_app(sqlite_url, work, "whoosh")
    started = time.perf_counter()
    shops, listings = catalogue(count, options.seed)
    fill_database(app, shops, listings)
    print(f"{count} listings in {len(shops)} shops; SQLite filled in {time.perf_counter() - started:.1f} s")

    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        indexed = sync.rebuild(app, db.engine)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    stemming = analysis.STEM_STATS
    whoosh_size = directory_size(os.path.join(work, "index"))
    print(f"Whoosh rebuild: {indexed} listings in {elapsed:.1f} s (CPU {cpu:.1f} s), "
          f"{indexed / elapsed:.0f} listings/s; index {whoosh_size / 1e6:.1f} MB")
    print(f"Sastrawi stemming: {stemming['misses']} distinct words, {stemming['seconds']:.2f} s "
          f"= {100 * stemming['seconds'] / elapsed:.1f}% of the rebuild (cached per word)")
    workers = {"Whoosh": in_worker(options, "whoosh", sqlite_url, work)}
    overall = {"Whoosh": report_worker("Whoosh backend (service.search, fresh process)", workers["Whoosh"])}

    with app.test_request_context("/api/v1/search"):
        drains, searches = single_edits(app, count, options.seed)
        db.engine.dispose()
    print(f"\nOne listing edited, committed and drained into the index ({len(drains)} times): "
          f"median {ms(statistics.median(drains)).strip()} ms, max {ms(max(drains)).strip()} ms; "
          f"the next search (new generation): median {ms(statistics.median(searches)).strip()} ms, "
          f"max {ms(max(searches)).strip()} ms")

    started = time.perf_counter()
    connection = fts5_database(os.path.join(work, "fts5.db"), shops, listings)
    print(f"\nFTS5 table built in {time.perf_counter() - started:.1f} s; "
          f"{os.path.getsize(os.path.join(work, 'fts5.db')) / 1e6:.1f} MB")
    fts5_search(connection, "madu", {})
    overall["FTS5"] = report("SQLite FTS5", run_mix(query_mix(options.per_kind),
                                                     lambda text, args: fts5_search(connection, text, args)))
    connection.close()
    if not options.no_postgres:
        overall.update(run_postgres(options, count, work, shops, listings, workers))
    line = f"{count:>7} listings: " + "; ".join(f"{name} {ms(m).strip()} / {ms(p).strip()}" for name, (m, p) in overall.items())
    fts = overall["FTS5"][1]
    line += " | p95 / FTS5: " + ", ".join(f"{name} {p / fts:.2f}" for name, (_, p) in overall.items() if name != "FTS5")
    line += " | worker CPU p95 ms, peak RSS MB: " + ", ".join(
        f"{name} {ms(cpu_p95(f['timings'])).strip()}, {f['peak']:.0f}" for name, f in workers.items())
    print("\n" + line)
    return line


def report_worker(name, figures):
    """Print a worker's figures; returns (median, p95) overall."""
    print(f"\nFirst searches of the fresh process: {ms(figures['first']).strip()} ms; memory: "
          f"{figures['app_rss']:.0f} MB with the app loaded, {figures['rss']:.0f} MB after the mix "
          f"(peak {figures['peak']:.0f} MB)")
    if figures.get("server_cpu") is not None:
        print(f"PostgreSQL server CPU per query (mean over the mix): {ms(figures['server_cpu']).strip()} ms")
    return report(name, figures["timings"])


def run_postgres(options, count, work, shops, listings, workers):
    """The PostgreSQL backend and plain PostgreSQL full-text on a throw-away database; {name: (median, p95)}.
    Adds the backend worker's figures to `workers`."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from marketplace.extensions import db
    from marketplace.search import sync

    base = make_url(options.postgres)
    name = f"pasardesa_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    overall = {}
    try:
        app = bench_app(url, work, "postgres")
        started = time.perf_counter()
        fill_database(app, shops, listings)
        print(f"\nPostgreSQL filled in {time.perf_counter() - started:.1f} s")
        with app.app_context():
            started, cpu = time.perf_counter(), time.process_time()
            indexed = sync.rebuild(app, db.engine)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            # Vacuumed and analysed, as autovacuum would leave them in production: a vacuum also empties
            # the GIN index's pending list and marks pages all-visible.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE search_document"))
                connection.execute(sa.text("VACUUM ANALYZE search_word"))
            with db.engine.begin() as connection:
                size = connection.execute(sa.text(
                    "SELECT pg_total_relation_size('search_document') + pg_total_relation_size('search_word')")).scalar()
                words = connection.execute(sa.text("SELECT count(*) FROM search_word")).scalar()
            db.engine.dispose()
        print(f"PostgreSQL backend rebuild: {indexed} listings in {elapsed:.1f} s (CPU here {cpu:.1f} s), "
              f"{indexed / elapsed:.0f} listings/s; search_document + search_word ({words} words) with indexes "
              f"{size / 1e6:.1f} MB")
        figures = workers["PostgreSQL"] = in_worker(options, "postgres", url, work)
        overall["PostgreSQL backend"] = report_worker("PostgreSQL backend (service.search, fresh process)", figures)
        report_change_cost(postgres_change_cost(app, count, options.seed))
        with app.app_context():
            db.engine.dispose()

        engine = sa.create_engine(url)
        with engine.begin() as connection:
            started = time.perf_counter()
            plain_postgres_table(connection, shops, listings)
            built = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE plain_fts"))     # as the backend's tables are
        with engine.connect() as connection:
            size = connection.execute(sa.text("SELECT pg_total_relation_size('plain_fts')")).scalar()
            print(f"\nPlain PostgreSQL full-text table built in {built:.1f} s; with indexes {size / 1e6:.1f} MB")
            plain_postgres_search(connection, "madu", {})
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            cpu = server_cpu(pid)
            timings = run_mix(query_mix(options.per_kind),
                              lambda text, args: plain_postgres_search(connection, text, args))
            print(f"\nPostgreSQL server CPU per query (mean over the mix): "
                  f"{ms((server_cpu(pid) - cpu) / len(query_mix(options.per_kind))).strip()} ms")
            overall["plain PostgreSQL FTS"] = report("Plain PostgreSQL FTS", timings)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return overall


if __name__ == "__main__":
    main()
