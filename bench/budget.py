"""The in-process CPU budget of each page, split into queries, templates, hooks and the rest (bench/pages.py).

Every page is requested through the app's test client, with the cookie bench/pages.py would send, in batches
that take every page in turn; each figure is the median of its batches. CPU time
(time.process_time) is attributed exclusively: a query run while a template renders counts as a query.
- queries: inside Session.execute/scalar(s), Connection.execute, driver_reads.driver_rows and driver_instance (building,
  compiling, running the statement, and the ORM loading its rows; iterating a plain result afterwards falls
  into the caller);
- templates: inside Flask's rendering of a template (context processors included);
- hooks: the app's before/after/teardown request functions and the session's opening and saving;
- rest: the view's own Python, routing, Werkzeug, Flask-Login's user loading and the like.
Besides, each page's statements and round trips per request, counted on the wire by a second app on the same
database (bench/wire.py).
"""
import contextlib
import cProfile
import functools
import logging
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REQUESTS = 50
KINDS = {"home after product": "product", "home buyer": "buyer"}  # the cookie each of these visitors carries
BATCHES = 9


class Clock:
    """Exclusive CPU time per part, for functions wrapped with timed()."""

    def __init__(self):
        self.parts = defaultdict(float)
        self.stack = []

    def timed(self, part, function, detail=None):
        """function, its CPU time counted in part (and in detail, for one hook's own figure)."""
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            started = time.process_time()
            self.stack.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.process_time() - started
                inner = self.stack.pop()
                self.parts[part] += elapsed - inner
                if detail:
                    self.parts[detail] += elapsed - inner
                if self.stack:
                    self.stack[-1] += elapsed
        return wrapper


def instrument(app, clock):
    """Wrap the query, template and hook entry points so that clock sees them."""
    import flask.templating
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    for cls, names in ((Session, ("execute", "scalar", "scalars")), (Connection, ("execute",))):
        for name in names:
            setattr(cls, name, clock.timed("queries", getattr(cls, name)))
    from marketplace import driver_reads

    # The driver's own reads (driver_reads.driver_rows, and driver_instance, which uses it), wherever a module
    # imported them by name; driver_reads itself among those modules (compared with the originals, not with what
    # driver_reads holds by then).
    for name in ("driver_rows", "driver_instance"):
        original = getattr(driver_reads, name)
        timed = clock.timed("queries", original)
        for module in list(sys.modules.values()):
            if getattr(module, name, None) is original:
                setattr(module, name, timed)
    flask.templating._render = clock.timed("templates", flask.templating._render)
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        for key, functions in registry.items():
            registry[key] = [clock.timed("hooks", f, f"hook {_name(f)}") for f in functions]
    app.teardown_appcontext_funcs = [clock.timed("hooks", f, f"hook {_name(f)}") for f in app.teardown_appcontext_funcs]
    interface = app.session_interface
    interface.open_session = clock.timed("hooks", interface.open_session, "hook open_session")
    interface.save_session = clock.timed("hooks", interface.save_session, "hook save_session")


def _name(function):
    return f"{getattr(function, '__module__', '?').split('.')[0]}.{getattr(function, '__qualname__', function)}"


def _client_for(app, cookie_kind, product_path):
    """A test client carrying what the visitor of that page carries."""
    from marketplace.demo import BUYERS, DEMO_PASSWORD

    client = app.test_client()
    if cookie_kind == "product":
        client.get(product_path)
    elif cookie_kind == "buyer":
        import re

        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        response = client.post("/login", data={"email": BUYERS[0][1], "password": DEMO_PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302, response.status_code
    return client


def budgets(env, page_list, profile=None, batches=BATCHES, requests=REQUESTS):
    """{page name: {"total", "queries", "templates", "hooks", "rest", "hook ...": ms per request}}.

    Each figure is the median over `batches` batches of `requests` requests; every batch loads each page in
    turn (the trivial route among them), so that a neighbour's load on a shared machine falls on all alike."""
    os.environ.update(env)
    sys.path.insert(0, HERE)
    from bench_wsgi import app

    product_path = dict((name, path) for name, path, _cookie in page_list)["product"]
    kinds = KINDS
    if profile:
        return _profile(app, page_list, profile, kinds, product_path)
    clock = Clock()
    instrument(app, clock)
    clients = {name: _client_for(app, kinds.get(name), product_path) for name, _path, _cookie in page_list}
    for name, path, _cookie in page_list:
        for _ in range(20):
            assert clients[name].get(path).status_code == 200, path
    samples = _samples(clock, clients, page_list, batches, requests)
    found = {}
    for name, parts in samples.items():
        found[name] = budget = {part: statistics.median(values) for part, values in parts.items()}
        budget["rest"] = budget["total"] - sum(budget[part] for part in ("queries", "templates", "hooks"))
        budget["spread"] = (max(parts["total"]) - min(parts["total"])) / budget["total"]
    _print_hooks(found["trivial"])
    for name, (statements, round_trips) in wire_counts(env, page_list, product_path, kinds).items():
        found[name]["statements"], found[name]["round trips"] = statements, round_trips
    return found


def print_wire_counts(env, page_list):
    """Each page's statements and round trips per request, without the CPU budget (bench/pages.py --wire-only)."""
    os.environ.update(env)
    sys.path.insert(0, HERE)
    product_path = dict((name, path) for name, path, _cookie in page_list)["product"]
    counts = wire_counts(env, page_list, product_path, KINDS)
    print(f"{'page':20} {'statements':>10} {'round trips':>11}")
    for name, (statements, round_trips) in counts.items():
        print(f"{name:20} {statements:10.1f} {'-' if round_trips is None else format(round_trips, '.1f'):>11}")
    print("per request; statements include BEGIN and ROLLBACK; round trips counted on PostgreSQL only (bench/wire.py)")


def wire_counts(env, page_list, product_path, kinds, requests=10):
    """{page: (statements, round trips or None on SQLite) per request}, from a second app whose connections
    go through bench/wire.py's counters; measured apart from the CPU figures, which its relay would disturb."""
    import bench_wsgi
    import wire
    from marketplace import create_app
    from marketplace.extensions import db

    counts = wire.Counts()
    app = create_app({"SQLALCHEMY_DATABASE_URI": wire.counted_url(env["DATABASE_URL"], counts)})
    app.add_url_rule("/bench/trivial", view_func=bench_wsgi.trivial)
    with app.app_context():
        wire.count_sqlite(db.engine, counts)
        postgres = db.engine.dialect.name == "postgresql"
    clients = {name: _client_for(app, kinds.get(name), product_path) for name, _path, _cookie in page_list}
    found = {}
    with _access_lines_discarded():
        for name, path, _cookie in page_list:
            for _ in range(6):  # psycopg prepares a statement at its fifth run, with a round trip of its own
                clients[name].get(path)
            statements, round_trips = counts.snapshot()
            for _ in range(requests):
                clients[name].get(path)
            now = counts.snapshot()
            found[name] = ((now[0] - statements) / requests, (now[1] - round_trips) / requests if postgres else None)
    with app.app_context():
        db.engine.dispose()
    return found


def _samples(clock, clients, page_list, batches, requests):
    """{page: {part: [ms per request of each batch]}}, the pages taken in turn within every batch."""
    samples = defaultdict(lambda: defaultdict(list))
    with _access_lines_discarded():
        for _ in range(batches):
            for name, path, _cookie in page_list:
                client = clients[name]
                clock.parts.clear()
                started = time.process_time()
                for _ in range(requests):
                    client.get(path)
                samples[name]["total"].append((time.process_time() - started) * 1000 / requests)
                for part in {*clock.parts, "queries", "templates", "hooks"}:
                    samples[name][part].append(clock.parts.get(part, 0.0) * 1000 / requests)
    return samples


@contextlib.contextmanager
def _access_lines_discarded():
    """The access log written to /dev/null while measuring: its cost counts, its thousands of lines do not
    bury the figures."""
    handlers = [handler for handler in logging.getLogger().handlers + logging.getLogger("marketplace").handlers
                if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)]
    with open(os.devnull, "w") as devnull:
        kept = [handler.setStream(devnull) for handler in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, kept):
                handler.setStream(stream)


def _print_hooks(trivial):
    print(f"in-process CPU of the trivial route: {trivial['total']:.3f} ms, of which per hook:")
    for part, value in sorted(trivial.items(), key=lambda item: -item[1]):
        if part.startswith("hook "):
            print(f"  {value:7.4f} ms  {part[5:]}")


def _profile(app, page_list, profile, kinds, product_path):
    name, path, _cookie = next(page for page in page_list if page[0] == profile)
    client = _client_for(app, kinds.get(name), product_path)
    for _ in range(20):
        client.get(path)
    profiler = cProfile.Profile(time.process_time)  # CPU time: a busy machine's waits are not the page's
    profiler.runcall(lambda: [client.get(path) for _ in range(REQUESTS * 4)])
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(45)
    return {}
