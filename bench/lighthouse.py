"""Lighthouse figures for the public page types, with real-looking photos. A documented manual run, not CI.

    cd /tmp && npm install lighthouse          # once; never commit node_modules
    python bench/lighthouse.py [--tree DIR] [--port 5151] [--runs 2] [--photos /tmp/lh-photos]

--tree is the checkout to measure (default: this one). To compare with an older commit, make a throw-away
worktree (`git worktree add /tmp/before <commit>`) and pass --tree /tmp/before: the app is always run with
the same Python (this one) and the same photos, so only the code differs.

For the tree given, it makes a fresh instance in a temporary directory (SQLite, local media, Whoosh),
runs `flask db upgrade`, `flask seed-demo` and replaces every demo photo with a photo-like JPEG
(2400x1800 or 1800x2400, about 4.3 MP, gradients, shapes and multi-scale noise: the WebP variants come
out about as large as a phone photo's), sent through that tree's own photo pipeline. It then serves the
app with gunicorn (2 workers, production settings) and runs Lighthouse's default mobile audit (Moto G
Power 412x823 at DPR 1.75, simulated slow 4G) on the home, search, product and shop pages, --runs times
each, and prints the performance / accessibility / best-practices / SEO scores and the LCP of each run.

Needs: node, /tmp/node_modules/.bin/lighthouse (or LIGHTHOUSE=path), CHROME_PATH (default /usr/bin/chromium).
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
LIGHTHOUSE = os.environ.get("LIGHTHOUSE", "/tmp/node_modules/.bin/lighthouse")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PHOTO_COUNT = 24

# Run inside the measured tree (PYTHONPATH=tree): every product photo replaced through that tree's pipeline.
REPLACE_PHOTOS = """
import sys
from pathlib import Path
from marketplace import create_app
from marketplace.catalogue.models import ProductImage
from marketplace.extensions import db
from marketplace.media.service import process_upload
from marketplace.media.storage import get_storage
photos = sorted(Path(sys.argv[1]).glob("*.jpg"))
app = create_app()
with app.app_context():
    for n, image in enumerate(db.session.scalars(db.select(ProductImage).order_by(ProductImage.id))):
        stored = process_upload(photos[n % len(photos)].read_bytes(), get_storage())
        image.content_hash, image.width, image.height = stored.content_hash, stored.width, stored.height
    db.session.commit()
    from marketplace.catalogue.models import Product
    from marketplace.shops.models import Shop
    product = db.session.scalars(db.select(Product).where(Product.status == "approved").order_by(Product.id)).first()
    print(f"/toko/{product.shop.slug}/{product.slug}")
"""


def _texture(width, height, rnd):
    """Grey noise summed over octaves, coarse to fine: roughly the 1/f spectrum of real scenes."""
    texture = Image.new("L", (width, height), 128)
    for step, sigma, weight in ((128, 80, 0.5), (32, 70, 0.45), (8, 60, 0.4), (2, 50, 0.3), (1, 20, 0.2)):
        octave = Image.effect_noise((max(1, width // step), max(1, height // step)), sigma + rnd.randrange(10))
        texture = Image.blend(texture, octave.resize((width, height), Image.Resampling.BICUBIC), weight)
    return texture


def photo_like(path, width, height, seed):
    """Write a photo-like JPEG (quality 90) of width x height to path."""
    rnd = random.Random(seed)
    base = tuple(rnd.randrange(60, 200) for _ in range(3))
    img = Image.new("RGB", (width, height), base)
    ramp = Image.linear_gradient("L").resize((width, height))
    img = Image.blend(img, Image.merge("RGB", (ramp, ramp.rotate(180), ramp)), 0.35)
    draw = ImageDraw.Draw(img)
    for _ in range(80):
        x, y, r = rnd.randrange(width), rnd.randrange(height), rnd.randrange(30, width // 4)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
        else:
            draw.polygon([(x + rnd.randrange(-r, r), y + rnd.randrange(-r, r)) for _ in range(5)], fill=colour)
    texture = _texture(width, height, rnd)
    img = ImageChops.overlay(img.filter(ImageFilter.GaussianBlur(3)), Image.merge("RGB", [texture] * 3))
    img.save(path, "JPEG", quality=90)


def make_photos(directory):
    """PHOTO_COUNT photo-like JPEGs in directory (made once, reused by every tree measured)."""
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(PHOTO_COUNT):
        path = directory / f"photo-{n:02d}.jpg"
        if not path.exists():
            size = (1800, 2400) if n % 3 == 1 else (2400, 1800)  # a third are portrait
            photo_like(path, *size, seed=n)


def prepare(tree, instance, photos, port):
    """A seeded instance of tree with real-looking photos; returns (environment, product path)."""
    env = dict(os.environ, FLASK_APP="wsgi", PYTHONPATH=str(tree), DATABASE_URL=f"sqlite:///{instance}/lh.db",
               MEDIA_ROOT=f"{instance}/media", SEARCH_INDEX_DIR=f"{instance}/index", MAIL_OUTBOX_DIR=f"{instance}/mail",
               SECRET_KEY="lighthouse-bench", SITE_URL=f"http://127.0.0.1:{port}",
               LOG_LEVEL="WARNING")
    flask = [PYTHON, "-m", "flask"]
    for args in (["db", "upgrade"], ["seed-demo"]):
        _run(flask + args, tree, env)
    product = _run([PYTHON, "-c", REPLACE_PHOTOS, str(photos)], tree, env).strip().splitlines()[-1]
    _run(flask + ["search", "reindex"], tree, env)
    return env, product


def _run(command, tree, env):
    """command's output; its error output and a stop when it fails."""
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def serve(tree, env, port):
    """gunicorn serving tree on port, once it answers."""
    server = subprocess.Popen([PYTHON, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=tree, env=dict(env, WEB_CONCURRENCY="2"), start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("the app did not start")


def lighthouse(url, out):
    """Lighthouse's default mobile audit of url: {category: score, 'lcp_ms': ..., 'bytes': ...}."""
    subprocess.run([LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={out}",
                    f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(CATEGORIES)],
                   check=True, env=dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium")))
    report = json.loads(Path(out).read_text())
    figures = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    figures["lcp_ms"] = round(report["audits"]["largest-contentful-paint"]["numericValue"])
    figures["bytes"] = round(report["audits"]["total-byte-weight"]["numericValue"])
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--port", type=int, default=5151)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--photos", type=Path, default=Path(tempfile.gettempdir()) / "lh-photos")
    args = parser.parse_args()
    make_photos(args.photos)
    instance = Path(tempfile.mkdtemp(prefix="lh-instance-"))
    try:
        env, product = prepare(args.tree.resolve(), instance, args.photos, args.port)
        shop = "/".join(product.split("/")[:3])
        pages = {"home": "/", "search": "/search?q=madu", "product": product, "shop": shop}
        server = serve(args.tree.resolve(), env, args.port)
        try:
            print("run page     perf a11y bp  seo  LCP(ms) bytes")
            for run in range(1, args.runs + 1):
                for name, path in pages.items():
                    got = lighthouse(f"http://127.0.0.1:{args.port}{path}", instance / f"{name}-{run}.json")
                    print(f"{run:<3} {name:<8} {got['performance']:>4} {got['accessibility']:>4} "
                          f"{got['best-practices']:>3} {got['seo']:>4} {got['lcp_ms']:>8} {got['bytes']:>6}",
                          flush=True)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
