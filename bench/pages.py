"""Throughput of the home page against a trivial Flask route, both served by one gunicorn in the same run.

    .venv/bin/python bench/pages.py [--runs 3] [--duration 10] [--connections 8] [--python-load] [--profile]

Seeds a throw-away SQLite database with the demo marketplace plus enough approved listings (with cover
photos) that the home page shows 24 product cards, serves bench/bench_wsgi.py with gunicorn (2 sync
workers, 127.0.0.1, a free port), loads `/` and `/bench/trivial` alternately with wrk (or a pure-Python
load generator when wrk is missing), and prints requests/s, p50/p99 latency, their ratio and the home
page's HTML size raw and gzip-compressed. Goal: home >= 50% of trivial, HTML < 15 KB compressed.
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


def run_wrk(url, duration, connections):
    """requests/s, p50 ms, p99 ms from wrk."""
    output = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency", url],
                            capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{output}")
    return rate, _wrk_ms(output, "50%"), _wrk_ms(output, "99%")


def _wrk_ms(output, percentile):
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\b", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_python_load(url, duration, connections):
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
            connection.request("GET", path)
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


def measure(base, duration, connections, load, slices=5):
    """One run: the trivial route and the home page in alternating slices, so that the neighbours' load on a
    shared machine falls on both alike; requests/s averaged, p50 and p99 the median of the slices'."""
    samples = {"trivial": [], "home": []}
    for name, path in (("trivial", TRIVIAL), ("home", HOME)):
        load(base + path, 1, connections)  # warm up: templates compiled, connections opened
    for _ in range(slices):
        for name, path in (("trivial", TRIVIAL), ("home", HOME)):
            samples[name].append(load(base + path, max(1, duration // slices), connections))
    return {name: (statistics.fmean(s[0] for s in runs), statistics.median(s[1] for s in runs),
                   statistics.median(s[2] for s in runs)) for name, runs in samples.items()}


def profile_home(env, requests=200):
    """CPU time per request of both routes in-process, then where the home page's time goes (cProfile)."""
    import cProfile
    import pstats

    os.environ.update(env)
    sys.path.insert(0, HERE)
    from bench_wsgi import app

    client = app.test_client()
    for path in (TRIVIAL, HOME):
        for _ in range(20):
            client.get(path)
        started = time.process_time()
        for _ in range(requests):
            client.get(path)
        print(f"in-process CPU per request {path:15} {(time.process_time() - started) / requests * 1000:6.2f} ms")
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [client.get(HOME) for _ in range(requests)])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def print_run(number, results):
    trivial, home = results["trivial"], results["home"]
    print(f"run {number}: trivial {trivial[0]:8.0f} req/s  p50 {trivial[1]:6.2f} ms  p99 {trivial[2]:6.2f} ms | "
          f"home {home[0]:8.0f} req/s  p50 {home[1]:6.2f} ms  p99 {home[2]:6.2f} ms | "
          f"ratio {home[0] / trivial[0]:5.1%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--python-load", action="store_true", help="the Python load generator even if wrk is there")
    parser.add_argument("--profile", action="store_true", help="profile the home page in-process, do not serve it")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") and not args.python_load
    load = run_wrk if use_wrk else run_python_load

    with tempfile.TemporaryDirectory(prefix="pasardesa-bench-") as files:
        database_url = f"sqlite:///{files}/bench.db"
        approved = seed(database_url, files)
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret",
               "MEDIA_ROOT": os.path.join(files, "media"), "SEARCH_INDEX_DIR": os.path.join(files, "search-index")}
        env.pop("PRODUCTION", None)
        env.pop("FLASK_ENV", None)
        if args.profile:
            return profile_home(env)
        port = free_port()
        server = start_gunicorn(port, env)
        try:
            base = f"http://127.0.0.1:{port}"
            raw, compressed, cards = page_sizes(base)
            print(f"{approved} approved listings; the home page shows {cards} product cards")
            print(f"load: {'wrk' if use_wrk else 'Python threads'}, {args.connections} connections, "
                  f"{args.duration} s per measurement, gunicorn 2 sync workers")
            runs = []
            for number in range(1, args.runs + 1):
                runs.append(measure(base, args.duration, args.connections, load))
                print_run(number, runs[-1])
        finally:
            server.terminate()
            server.wait(timeout=30)

    median = {name: [statistics.median(run[name][i] for run in runs) for i in range(3)]
              for name in ("trivial", "home")}
    ratio = statistics.median(run["home"][0] / run["trivial"][0] for run in runs)
    print()
    print(f"median trivial route: {median['trivial'][0]:.0f} req/s, p50 {median['trivial'][1]:.2f} ms, "
          f"p99 {median['trivial'][2]:.2f} ms")
    print(f"median home page:     {median['home'][0]:.0f} req/s, p50 {median['home'][1]:.2f} ms, "
          f"p99 {median['home'][2]:.2f} ms")
    print(f"median ratio home/trivial: {ratio:.1%} (goal >= 50%)")
    print(f"home page HTML: {raw / 1024:.1f} KB raw, {compressed / 1024:.1f} KB gzip (goal < 15 KB)")


if __name__ == "__main__":
    main()
