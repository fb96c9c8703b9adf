"""Code run in separate processes by test_processes.py (importable by multiprocessing's spawn)."""
import re

from tests.conftest import TEST_PASSWORD


def _token(client, path):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    return match.group(1)


def edit_stock(settings, email, product_ids, edits, results):
    """A producer (a gunicorn worker's requests, in its own process): log in, then change stock `edits`
    times through the dashboard; reports (email, [failed requests])."""
    from marketplace import create_app

    app = create_app(settings)
    client = app.test_client()
    client.post("/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": _token(client, "/login")})
    token = _token(client, "/dashboard")
    failures = []
    for number in range(edits):
        product_id = product_ids[number % len(product_ids)]
        response = client.post(f"/dashboard/products/{product_id}/stock",
                               data={"stock": str(number + 1), "csrf_token": token})
        if response.status_code != 302:
            failures.append((number, response.status_code, response.get_data(as_text=True)[:500]))
    results.put((email, failures))
