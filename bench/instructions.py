"""Instructions per request of every page of bench/pages.py, counted by valgrind's callgrind (bench/pages.py
--instructions). Unlike CPU time, instruction counts do not move with the machine's load.

The pages are requested in-process through the app's test client, as bench/budget.py does, in a child
process run under callgrind. The child calls os.getppid() (a function nothing else calls) between pages,
and callgrind is told to write its counts before every such call, so each page's requests land in a file
of their own. The figure of each page is its instructions over the number of requests, and the trivial
route's over the page's is its "instruction share": the share of the trivial route's requests per second
the page would have if serving cost nothing more.
"""
import gc
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = "os_getppid"
REQUESTS = 20
WARM_UP = 3


KINDS = {"home after product": "product", "home buyer": "buyer"}


def instructions(env, page_list, requests=REQUESTS):
    """{page name: instructions per request}, counted under callgrind in a child process; page_list as
    bench/pages.py's pages() gives it (the cookie each visitor carries is made in the child)."""
    page_list = [(name, path, KINDS.get(name)) for name, path, _cookie in page_list]
    with tempfile.TemporaryDirectory(prefix="pasardesa-callgrind-") as folder:
        out = os.path.join(folder, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", f"--dump-before={MARK}",
                   sys.executable, os.path.abspath(__file__), json.dumps(page_list), str(requests)]
        subprocess.run(command, env={**os.environ, **env, "PYTHONHASHSEED": "0"}, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        counts = [_total(path) for path in sorted(glob.glob(out + ".*"), key=_part)]
    # Part 1 is the start (imports, the app, warming up); then one part per page, in order, and the end.
    return {name: counts[index + 1] / requests for index, (name, _path, _kind) in enumerate(page_list)}


def _part(path):
    return int(path.rsplit(".", 1)[1])


def _total(path):
    with open(path) as file:
        for line in file:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit(f"{path}: no totals")


def _child(page_list, requests):
    """Under callgrind: warm every page up, then request each `requests` times between two marks."""
    import logging

    sys.path[:0] = [os.path.dirname(HERE), HERE]
    import budget
    from bench_wsgi import app

    logging.disable(logging.CRITICAL)
    product_path = dict((name, path) for name, path, _kind in page_list)["product"]
    clients = {name: budget._client_for(app, kind, product_path) for name, _path, kind in page_list}
    for name, path, _kind in page_list:
        for _ in range(WARM_UP):
            assert clients[name].get(path).status_code == 200, path
    # The start's objects (modules, the app, warm caches) are set aside from the collector: otherwise a full
    # collection over all of them lands on whichever page happens to be running, millions of instructions.
    gc.collect()
    gc.freeze()
    for name, path, _kind in page_list:
        os.getppid()
        for _ in range(requests):
            clients[name].get(path)
    os.getppid()


def print_instructions(counts):
    """Each page's instructions per request and its share against the trivial route."""
    trivial = counts["trivial"]
    print(f"{'page':20} {'instructions':>13} {'share':>7}")
    for name, count in counts.items():
        print(f"{name:20} {count:13,.0f} {trivial / count:7.1%}")
    print("instructions per request in-process (callgrind, test client included); share: the trivial route's / "
          "the page's")


if __name__ == "__main__":
    _child([tuple(page) for page in json.loads(sys.argv[1])], int(sys.argv[2]))
