"""How much JavaScript a phone downloads: every script under static/js plus the service worker as served,
each gzip-compressed (level 9, as a reverse proxy would send it). Run: .venv/bin/python bench/script_weight.py"""
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from marketplace import ROOT, create_app  # noqa: E402

BUDGET_BYTES = 30 * 1024


def weights():
    """{name: (raw bytes, gzip bytes)} of every script and the rendered service worker."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"})
    found = {}
    js_dir = os.path.join(ROOT, "static", "js")
    for name in sorted(os.listdir(js_dir)):
        with open(os.path.join(js_dir, name), "rb") as file:
            data = file.read()
        found[f"static/js/{name}"] = (len(data), len(gzip.compress(data, 9)))
    with app.test_client() as client:
        data = client.get("/sw.js").get_data()
    found["/sw.js"] = (len(data), len(gzip.compress(data, 9)))
    return found


def main():
    """Print each script's size and the total against the 30 KB budget."""
    found = weights()
    for name, (raw, packed) in found.items():
        print(f"{name:32} {raw:7d} B raw {packed:7d} B gzip")
    raw = sum(size for size, _packed in found.values())
    packed = sum(packed for _size, packed in found.values())
    print(f"{'total':32} {raw:7d} B raw {packed:7d} B gzip  (budget {BUDGET_BYTES} B: {packed / BUDGET_BYTES:.0%})")


if __name__ == "__main__":
    main()
