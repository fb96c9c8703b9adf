"""Benchmark: buyers' add-to-cart + checkout latency while a producer uploads the largest photo batch a request
may carry, against the same buyers with no upload, in the same run. Not a test.

    python bench/uploads.py [--buyers 20] [--rounds 3] [--workers 4] [--threads 1]

The marketplace runs as it does in production: gunicorn (sync workers, or gthread with --threads > 1) on a
throw-away SQLite file in WAL mode, every worker with the same SECRET_KEY. Over HTTP, one producer POSTs a new
listing with 8 PNGs that together reach REQUEST_PIXEL_BUDGET (decoded whole, small on the wire); one second later
20 buyers, each with its own session logged in beforehand and one thread, add a listing to the cart and check out
(two POSTs, timed together). Reported per round: the upload's time, the buyers' p50/p95/max with and without the
upload and any failed request, the load average, and the CPU the web workers spent per buyer request (from
/proc, so it does not depend on how loaded the machine is) beside the CPU of the photo children.
"""
import argparse
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # run as a script from anywhere

import requests  # noqa: E402
from PIL import Image  # noqa: E402

from marketplace import create_app, regions  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.media.intake import REQUEST_PIXEL_BUDGET  # noqa: E402

PASSWORD = "bench-password-123"
VILLAGE = regions.children("64.02.06")[0][0]
PHOTOS = 8
CHECKOUT = {"recipient_name": "Rina", "phone": "0812 3456 7890", "street": "Jl. Poros No. 12",
            "province_code": "64", "regency_code": "64.02", "district_code": "64.02.06", "village_code": VILLAGE,
            "postal_code": "75572", "note": "", "action": "place"}
TICKS = os.sysconf("SC_CLK_TCK")
# The app each gunicorn worker builds: the settings come from the bench through the environment.
WSGI = """import json, os
from marketplace import create_app
app = create_app(json.loads(os.environ["BENCH_APP_SETTINGS"]))
"""


def _settings(files):
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{files}/bench.db", "SECRET_KEY": "bench-shared-secret",
            "MEDIA_ROOT": os.path.join(files, "media"), "SEARCH_INDEX_DIR": os.path.join(files, "index"),
            "MAIL_OUTBOX_DIR": os.path.join(files, "mail"), "ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1,
            "RATELIMIT_ENABLED": False,
            # Each buyer checks out once per round and never pays: the unpaid-order cap would refuse
            # every round after the second, and a refusal is fast.
            "MAX_UNPAID_ORDERS": 100_000}


def _prepare(files, buyers):
    """Create the database (WAL) and seed it: (producer email, buyer emails, product id, category id)."""
    from sqlalchemy import select

    from marketplace.accounts import service as accounts
    from marketplace.catalogue import service as catalogue
    from marketplace.catalogue.categories import ensure_categories
    from marketplace.catalogue.models import Category
    from marketplace.moderation import service as moderation
    from marketplace.shops import service as shops

    app = create_app(_settings(files))

    def user(role):
        return accounts.register_user(email=f"{role}-{uuid.uuid4().hex[:8]}@bench.example", name="Bench",
                                      phone="0812 3456 7890", password=PASSWORD, role=role, verified=True)

    with app.app_context():
        db.create_all()
        ensure_categories()
        admin, producer = user("admin"), user("producer")
        shop = shops.open_shop(producer, shops.ShopDetails(
            name="Toko Bench", story="", district_code="64.02.06", village_code=VILLAGE,
            whatsapp="0812 3456 7890", shipping_fee_idr=10000, pickup_allowed=True))
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "madu"))
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title="Madu bench", description="", category_id=category_id, price_idr=50000, stock=100_000,
            unit="250 ml", weight_g=300))
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)
        emails = [user("buyer").email for _ in range(buyers)]
        db.session.commit()
        seeded = producer.email, emails, product.id, category_id
        db.engine.dispose()
    return seeded


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(files, workers, threads):
    """Start gunicorn on the bench's database; returns (process, base URL) once it answers."""
    with open(os.path.join(files, "bench_wsgi_app.py"), "w") as module:
        module.write(WSGI)
    port = _free_port()
    command = [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--no-control-socket",
               "--pythonpath", f"{files},{ROOT}", "-b", f"127.0.0.1:{port}", "-w", str(workers),
               "--timeout", "300", "--log-level", "warning"]
    if threads > 1:
        command += ["-k", "gthread", "--threads", str(threads)]
    env = {**os.environ, "BENCH_APP_SETTINGS": json.dumps(_settings(files))}
    # A session of its own: the bench ends gunicorn, its workers and their photo children together.
    with open(os.path.join(files, "gunicorn.log"), "w") as log:
        server = subprocess.Popen([*command, "bench_wsgi_app:app"], cwd=files, env=env, start_new_session=True,
                                  stdout=log, stderr=subprocess.STDOUT)
    server.files = files
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(f"{base}/login", timeout=30).status_code == 200:
                return server, base
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    _stop(server)
    raise SystemExit("gunicorn did not start")


def _stop(server):
    """End gunicorn (gracefully, then not) with every process it started."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def _token(session, url):
    html = session.get(url, timeout=60).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _session(base, email):
    """A logged-in requests session with its CSRF token."""
    session = requests.Session()
    answer = session.post(f"{base}/login", data={"email": email, "password": PASSWORD,
                                                 "csrf_token": _token(session, f"{base}/login")},
                          allow_redirects=False, timeout=60)
    assert answer.status_code == 302, answer.status_code
    session.csrf = _token(session, f"{base}/")
    return session


def _photo(seed):
    side = int((REQUEST_PIXEL_BUDGET // PHOTOS) ** 0.5)
    gradient = Image.linear_gradient("L").resize((side, side))
    image = Image.merge("RGB", (gradient, gradient.rotate(90), Image.new("L", (side, side), seed * 30)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _cpu_seconds(pid):
    """User + system CPU of one process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def _cpu(server):
    """(CPU of the web workers, CPU of their children: the photo children) so far, in seconds."""
    web = photo = 0.0
    for worker in _children(server.pid):
        try:
            web += _cpu_seconds(worker)
            photo += sum(_cpu_seconds(child) for child in _children(worker))
        except FileNotFoundError:
            continue
    return web, photo


def _server_seconds(log, start):
    """Seconds the app spent inside the buyers' requests logged after byte `start` of gunicorn's log (from the
    access log: a worker's time from taking the request to answering it, so without the wait for a free worker)."""
    with open(log, encoding="utf-8", errors="replace") as lines:
        lines.seek(start)
        return sum(float(match[1]) / 1000 for match in re.finditer(r"POST (?!shops\.)\S+ \d{3} ([\d.]+)ms",
                                                                     lines.read()))


def _round(base, server, producer, buyers, product_id, category_id, photos, with_upload):
    timings, failures, upload = [], [], {}
    log = os.path.join(server.files, "gunicorn.log")

    def buy(session):
        started = time.perf_counter()
        try:
            added = session.post(f"{base}/cart/add", data={"product_id": product_id, "quantity": 1,
                                                           "csrf_token": session.csrf},
                                 allow_redirects=False, timeout=120)
            placed = session.post(f"{base}/checkout", data={**CHECKOUT, "csrf_token": session.csrf},
                                  allow_redirects=False, timeout=120)
            if added.status_code != 302 or placed.status_code != 302:
                failures.append((added.status_code, placed.status_code))
        except requests.RequestException as error:
            failures.append(repr(error))
        timings.append(time.perf_counter() - started)

    def post_photos():
        fields = {"title": f"Madu {uuid.uuid4().hex[:6]}", "description": "", "category_id": str(category_id),
                  "price_idr": "50.000", "stock": "5", "unit": "250 ml", "weight_g": "300", "photo_alt": "",
                  "csrf_token": producer.csrf}
        files = [("photo", (f"besar-{n}.png", data, "image/png")) for n, data in enumerate(photos)]
        started = time.perf_counter()
        answer = producer.post(f"{base}/dashboard/products/new", data=fields, files=files, allow_redirects=False,
                               timeout=300)
        upload.update(seconds=time.perf_counter() - started, status=answer.status_code)

    uploader = threading.Thread(target=post_photos)
    if with_upload:
        uploader.start()
        time.sleep(1.0)
    cpu_before, load_before, log_start = _cpu(server), os.getloadavg()[0], os.path.getsize(log)
    threads = [threading.Thread(target=buy, args=(session,)) for session in buyers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    buyers_seconds = time.perf_counter() - started
    cpu_after = _cpu(server)
    time.sleep(0.5)  # the last access lines reach the log
    server_seconds = _server_seconds(log, log_start)
    if with_upload:
        uploader.join()
    return {"timings": timings, "failures": failures, "upload": upload, "buyers_seconds": buyers_seconds,
            "web_cpu": cpu_after[0] - cpu_before[0], "photo_cpu": cpu_after[1] - cpu_before[1],
            "load": max(load_before, os.getloadavg()[0]), "server_seconds": server_seconds}


def _p95(timings):
    ordered = sorted(timings)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def _line(label, result, requests_made):
    ordered = sorted(result["timings"])
    return (f"{label:>14}: p50 {statistics.median(ordered):6.3f} s  p95 {_p95(ordered):6.3f} s  "
            f"max {ordered[-1]:6.3f} s  failed {len(result['failures'])}  "
            f"web CPU {1000 * result['web_cpu'] / requests_made:5.1f} ms/request  "
            f"photo CPU {result['photo_cpu']:5.1f} s  load {result['load']:4.1f}\n{'':>16}"
            f"of the buyers' {sum(ordered):.1f} s: {result['server_seconds']:.1f} s in a worker "
            f"({result['web_cpu']:.1f} s of it on a CPU), {sum(ordered) - result['server_seconds']:.1f} s waiting "
            f"for a free worker")


def main():
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gthread workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as files:
        producer_email, buyer_emails, product_id, category_id = _prepare(files, args.buyers)
        photos = [_photo(n) for n in range(PHOTOS)]
        server, base = _serve(files, args.workers, args.threads)
        try:
            print(f"{PHOTOS} PNGs, {REQUEST_PIXEL_BUDGET // PHOTOS / 1e6:.1f} MP each, "
                  f"{sum(map(len, photos)) / 1e6:.1f} MB on the wire; {args.buyers} buyers; gunicorn "
                  f"-w {args.workers}" + (f" gthread --threads {args.threads}" if args.threads > 1 else " sync")
                  + f"; SQLite WAL; {os.cpu_count()} CPUs")
            producer = _session(base, producer_email)
            producer.csrf = _token(producer, f"{base}/dashboard/products/new")
            buyers = [_session(base, email) for email in buyer_emails]
            # Not reported: every worker's first requests load templates and warm its caches.
            _round(base, server, producer, buyers, product_id, category_id, photos, False)
            for number in range(1, args.rounds + 1):
                alone = _round(base, server, producer, buyers, product_id, category_id, photos, False)
                during = _round(base, server, producer, buyers, product_id, category_id, photos, True)
                print(f"round {number}: upload {during['upload']['seconds']:.1f} s "
                      f"(HTTP {during['upload']['status']}); buyers done in {during['buyers_seconds']:.1f} s")
                print(_line("buyers alone", alone, 2 * args.buyers))
                print(_line("during upload", during, 2 * args.buyers))
                print(f"{'p95 ratio':>14}: {_p95(during['timings']) / _p95(alone['timings']):.2f}x")
                for failure in (alone["failures"] + during["failures"])[:5]:
                    print(f"{'failure':>14}: {failure}")
        finally:
            _stop(server)


if __name__ == "__main__":
    main()
