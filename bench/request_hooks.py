"""What the request id, access line and metrics hooks cost per request, in-process.

Runs the three hooks (before: request id and start time; after: metrics, access line) inside a request
context many times, with the access line written to /dev/null as a real handler would write it, and prints
the median CPU microseconds per request over several runs, for text and JSON lines.

    .venv/bin/python bench/request_hooks.py [--requests 20000] [--runs 5]
"""
import argparse
import logging
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask import Response  # noqa: E402

from marketplace import create_app, logs, metrics  # noqa: E402


def per_request_us(app, requests):
    """Microseconds the hooks add to one request."""
    response = Response("ok")
    with app.test_request_context("/login"):
        from flask import request

        request.url_rule  # noqa: B018 - the endpoint is matched, as in a real request
        # CPU time of this process: on a shared machine, wall time measures the neighbours too.
        started = time.process_time()
        for _ in range(requests):
            logs._start_request()
            metrics._count_request(response)
            logs._finish_request(response)
            logs._forget_request()
        return (time.process_time() - started) / requests * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench",
                          "STRIPE_WEBHOOK_SECRET": "whsec_bench", "INSTANCE_PATH": folder})
        for fmt in ("text", "json"):
            logs.configure_logging({**app.config, "LOG_FORMAT": fmt})
            logging.getLogger("marketplace").handlers[0].setStream(open(os.devnull, "w"))
            figures = [per_request_us(app, args.requests) for _ in range(args.runs)]
            print(f"{fmt:>4} access lines: {statistics.median(figures):6.1f} us per request "
                  f"(median of {args.runs} runs of {args.requests}; min {min(figures):.1f}, max {max(figures):.1f})")


if __name__ == "__main__":
    main()
