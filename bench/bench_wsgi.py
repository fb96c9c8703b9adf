"""Bench-only WSGI entry: the marketplace plus a trivial route, so gunicorn serves both in one run.

Settings come from the environment (bench/pages.py sets DATABASE_URL, SECRET_KEY, ...).
"""
from marketplace import create_app

app = create_app()


@app.route("/bench/trivial")
def trivial():
    """The cheapest Flask response: what the home page is compared with."""
    return "ok"
