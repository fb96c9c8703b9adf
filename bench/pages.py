"""Throughput of every public page against a trivial Flask route, all served by one gunicorn in the same run.

    .venv/bin/python bench/pages.py [--duration 10] [--connections 16] [--python-load] [--postgres URL]
                                    [--budget-only] [--instructions [N]] [--wire-only] [--profile PAGE]

--budget-only measures in-process CPU alone (no server, no wrk): what to trust on a busy machine, where
requests/s measure the neighbours as much as the app. --instructions counts each page's instructions per
request under valgrind's callgrind instead (N requests per page, bench/instructions.py): the one figure a
loaded machine does not move. --wire-only prints each page's statements and round trips to the database alone.
BENCH_POSTGRES_URL in the environment = --postgres.

Seeds a throw-away database (SQLite, or a database created on the PostgreSQL server given by --postgres)
with the demo marketplace plus enough approved listings (with cover photos) that the home page shows a full page of
product cards, serves bench/bench_wsgi.py with gunicorn (2 sync workers, 127.0.0.1, a free port), and loads
the trivial route and every page of PAGES in alternating slices with wrk (or a pure-Python load generator
when wrk is missing). Prints per page requests/s, its share of the trivial route's, p50/p99 latency, and
the in-process CPU budget per request (medians of interleaved batches) split into queries, templates, hooks
and the rest, with the trivial route's CPU / the page's as "CPU share" (bench/budget.py).
Also says whether an anonymous visitor who opened a product page carries a cookie from then on.
Goals: every page but the API >= 35% of trivial; home HTML < 15 KB compressed.
"""
import argparse
import gzip
import hashlib
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
BIN = os.path.dirname(sys.executable)
TRIVIAL = "/bench/trivial"
HOME = "/"
EXTRA_PER_SHOP = 2


def seed(database_url, files):
    """The demo marketplace, plus newer listings with a cover photo in every demo shop."""
    from marketplace import create_app
    from marketplace.catalogue import service as catalogue
    from marketplace.demo import seed_demo
    from marketplace.extensions import db
    from marketplace.media.service import StoredImage
    from marketplace.moderation import service as moderation

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": os.path.join(files, "media"),
                      "SEARCH_INDEX_DIR": os.path.join(files, "search-index"), "SECRET_KEY": "bench",
                      "ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1})
    with app.app_context():
        db.create_all()
        seed_demo()
        from marketplace.accounts.models import User
        from marketplace.catalogue.models import Product
        from marketplace.shops.models import Shop

        admin = db.session.scalar(db.select(User).where(User.role == "admin"))
        for shop in db.session.scalars(db.select(Shop).order_by(Shop.id)).all():
            template = db.session.scalar(db.select(Product).where(Product.shop_id == shop.id).limit(1))
            for number in range(1, EXTRA_PER_SHOP + 1):
                _add_listing(catalogue, moderation, StoredImage, admin, shop, template, number)
        db.session.commit()
        count = db.session.scalar(db.select(db.func.count(Product.id)).where(Product.status == "approved"))
        db.engine.dispose()
    return count


def _add_listing(catalogue, moderation, stored_image, admin, shop, template, number):
    product = catalogue.create_product(shop, catalogue.ProductDetails(
        title=f"{template.title} edisi {number}", description=template.description,
        category_id=template.category_id, price_idr=template.price_idr + 1000 * number, stock=template.stock,
        unit=template.unit, weight_g=template.weight_g))
    digest = hashlib.sha256(f"{shop.id}-{number}".encode()).hexdigest()
    catalogue.add_photo(product, stored_image(content_hash=digest, width=1200, height=1200, master_key="",
                                              variant_keys={}, variant_bytes={}), alt_text=product.title)
    catalogue.submit_product(product)
    if product.status == "pending":  # a trusted shop's listing is approved at once
        moderation.approve_product(product, admin)


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port, env):
    """gunicorn with 2 sync workers serving bench_wsgi:app; returns the process once it answers."""
    command = [os.path.join(BIN, "gunicorn"), "--no-control-socket", "-w", "2", "-k", "sync",
               "-b", f"127.0.0.1:{port}", "--chdir", ROOT, "--pythonpath", HERE, "--log-level", "warning",
               "bench_wsgi:app"]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def run_wrk(url, duration, connections, cookie=None):
    """requests/s, p50 ms, p99 ms from wrk."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency", url]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{output}")
    return rate, _wrk_ms(output, "50%"), _wrk_ms(output, "99%")


def _wrk_ms(output, percentile):
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\b", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_python_load(url, duration, connections, cookie=None):
    """requests/s, p50 ms, p99 ms from threads that each send one request at a time (wrk's stand-in)."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1]
    latencies, stop = [], time.monotonic() + duration
    lock = threading.Lock()

    def worker():
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status != 200:
                raise RuntimeError(f"{url}: HTTP {response.status}")
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return (len(latencies) / duration, latencies[len(latencies) // 2] * 1000,
            latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000)


def page_sizes(base):
    """The home page's HTML size in bytes: raw and gzip-compressed (level 6, as a reverse proxy would)."""
    with urllib.request.urlopen(base + HOME) as response:
        html = response.read()
    cards = html.count(b'<li class="card">')
    return len(html), len(gzip.compress(html, compresslevel=6)), cards


def page_paths(database_url):
    """The product, shop and category pages the bench loads: the first demo shop's first listing."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        shop, product, category = connection.execute(sa.text(
            "SELECT s.slug, p.slug, c.slug FROM product p JOIN shop s ON s.id = p.shop_id "
            "JOIN category c ON c.id = p.category_id WHERE p.status = 'approved' ORDER BY p.id LIMIT 1")).one()
    engine.dispose()
    return {"product": f"/toko/{shop}/{product}", "shop": f"/toko/{shop}", "category": f"/kategori/{category}"}


def session_cookie(headers):
    """The `name=value` of the session cookie among Set-Cookie headers, or None."""
    for header in headers:
        if header.startswith("session="):
            return header.split(";", 1)[0]
    return None


def anonymous_cookie(base, path):
    """The session cookie an anonymous visitor gets from GET path (None: the visit left no cookie)."""
    with urllib.request.urlopen(base + path) as response:
        return session_cookie(response.headers.get_all("Set-Cookie") or [])


def buyer_cookie(base):
    """A logged-in demo buyer's session cookie, through the real login form."""
    from marketplace.demo import BUYERS, DEMO_PASSWORD

    with urllib.request.urlopen(base + "/login") as response:
        cookie = session_cookie(response.headers.get_all("Set-Cookie") or [])
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.read().decode()).group(1)
    body = urllib.parse.urlencode({"email": BUYERS[0][1], "password": DEMO_PASSWORD, "csrf_token": token})
    connection = http.client.HTTPConnection(base.split("//")[1])
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base}
    if cookie:
        headers["Cookie"] = cookie
    connection.request("POST", "/login", body, headers)
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"bench login failed: HTTP {response.status}")
    return session_cookie(response.headers.get_all("Set-Cookie") or []) or cookie


def pages(paths, product_cookie, buyer):
    """(name, path, cookie) of every measured page, the trivial route first."""
    return [("trivial", TRIVIAL, None), ("home", HOME, None), ("home after product", HOME, product_cookie),
            ("home buyer", HOME, buyer), ("product", paths["product"], None), ("search", "/search?q=madu", None),
            ("shop", paths["shop"], None), ("category", paths["category"], None),
            ("api search", "/api/v1/search?q=madu", None)]


def measure(base, page_list, duration, connections, load, slices=5):
    """One run: each page in turn in several slices, so that the neighbours' load on a shared machine falls
    on all alike; requests/s averaged, p50 and p99 the median of the slices'."""
    samples = {name: [] for name, _path, _cookie in page_list}
    for _name, path, cookie in page_list:
        load(base + path, 1, connections, cookie)  # warm up: templates compiled, connections opened
    for _ in range(slices):
        for name, path, cookie in page_list:
            samples[name].append(load(base + path, max(1, duration // slices), connections, cookie))
    return {name: (statistics.fmean(s[0] for s in runs), statistics.median(s[1] for s in runs),
                   statistics.median(s[2] for s in runs)) for name, runs in samples.items()}


def print_results(results, budgets):
    """The served figures (when there are) and the in-process CPU budget of every page, side by side."""
    trivial_cpu = budgets["trivial"]["total"]
    served = f"{'req/s':>8} {'share':>6} {'p50 ms':>7} {'p99 ms':>7} | " if results else ""
    print(f"{'page':20} {served}{'CPU ms':>6} {'spread':>6} {'CPU share':>9} {'queries':>8} {'templ.':>7} "
          f"{'hooks':>7} {'rest':>7} {'stmts':>5} {'trips':>5}")
    for name, budget in budgets.items():
        line = f"{name:20} "
        if results:
            rate, p50, p99 = results[name]
            line += f"{rate:8.0f} {rate / results['trivial'][0]:6.1%} {p50:7.2f} {p99:7.2f} | "
        total = budget["total"]
        line += f"{total:6.2f} {budget['spread']:6.0%} {trivial_cpu / total:9.1%} "
        line += " ".join(f"{budget[part] / total:7.0%} " for part in ("queries", "templates", "hooks", "rest"))
        trips = budget["round trips"]
        line += f"{budget['statements']:5.1f} {'-' if trips is None else format(trips, '5.1f'):>5}"
        print(line)
    print("CPU ms: median over batches of in-process CPU per request (test client included); spread: (max - min) / "
          "median of the batches; CPU share: the trivial route's CPU / the page's, what the page's share of the "
          "trivial route's req/s would be on a quiet machine if serving cost nothing more (gunicorn adds the same "
          "fixed cost to both, so the served share is higher); stmts, trips: statements (BEGIN and ROLLBACK "
          "included) and round trips to the database per request, counted on the wire (PostgreSQL; bench/wire.py)")


def serve_and_measure(env, page_list_for, args, load):
    """Start gunicorn, find the cookies and load every page; returns (results, page list, sizes)."""
    port = free_port()
    server = start_gunicorn(port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        sizes = page_sizes(base)
        page_list = page_list_for(base)
        print(f"load: {'wrk' if load is run_wrk else 'Python threads'}, {args.connections} connections, "
              f"{args.duration} s per page, gunicorn 2 sync workers; {load_average()}")
        return measure(base, page_list, args.duration, args.connections, load), page_list, sizes
    finally:
        server.terminate()
        server.wait(timeout=30)


def load_average():
    """The machine's load average, quoted with the figures (the machine may be shared)."""
    with open("/proc/loadavg") as file:
        return "load average " + " ".join(file.read().split()[:3])


def throwaway_database(args, files):
    """(database URL, drop function): SQLite in files, or a fresh database on the --postgres server."""
    if not args.postgres:
        return f"sqlite:///{files}/bench.db", lambda: None
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    base = make_url(args.postgres)
    name = f"bench_pages_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--python-load", action="store_true", help="the Python load generator even if wrk is there")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("BENCH_POSTGRES_URL"),
                        help="a PostgreSQL server to create the throw-away database on (or $BENCH_POSTGRES_URL)")
    parser.add_argument("--budget-only", action="store_true", help="only the in-process CPU budget, no server")
    parser.add_argument("--instructions", metavar="N", type=int, nargs="?", const=20,
                        help="instructions per request under callgrind (N requests per page, 20 by default)")
    parser.add_argument("--wire-only", action="store_true",
                        help="only each page's statements and round trips to the database (bench/wire.py)")
    parser.add_argument("--profile", metavar="PAGE", help="profile one page in-process (cProfile), no server")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") and not args.python_load
    load = run_wrk if use_wrk else run_python_load
    import budget

    with tempfile.TemporaryDirectory(prefix="pasardesa-bench-") as files:
        database_url, drop = throwaway_database(args, files)
        try:
            approved = seed(database_url, files)
            paths = page_paths(database_url)
            env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret",
                   "MEDIA_ROOT": os.path.join(files, "media"), "SEARCH_INDEX_DIR": os.path.join(files, "search-index")}
            env.pop("PRODUCTION", None)
            env.pop("FLASK_ENV", None)
            print(f"{approved} approved listings on {database_url.split(':')[0]}")
            if args.instructions:
                import instructions

                return instructions.print_instructions(
                    instructions.instructions(env, pages(paths, None, None), requests=args.instructions))
            if args.wire_only:
                return budget.print_wire_counts(env, pages(paths, None, None))
            budgets = budget.budgets(env, pages(paths, None, None), profile=args.profile)
            if args.profile:
                return None
            print(load_average())
            if args.budget_only:
                return print_results(None, budgets)
            results, page_list, (raw, compressed, cards) = serve_and_measure(
                env, lambda base: pages(paths, anonymous_cookie(base, paths["product"]), buyer_cookie(base)),
                args, load)
        finally:
            drop()
    print(f"the home page shows {cards} product cards; HTML {raw / 1024:.1f} KB raw, "
          f"{compressed / 1024:.1f} KB gzip (goal < 15 KB)")
    cookie = dict((name, cookie) for name, _path, cookie in page_list)["home after product"]
    print(f"an anonymous visitor after a product page carries: {cookie or 'no cookie'}")
    print_results(results, budgets)
    print("goal: product, search, shop, category and home buyer >= 35% of the trivial route")


if __name__ == "__main__":
    main()
