"""The application class: Flask, with its answer to "is this function a coroutine?" kept per function."""
import pytest
from flask import Flask


def test_plain_functions_are_called_as_they_are(app):
    def view():
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view  # the second answer from what was kept


def test_coroutine_functions_are_treated_as_flask_treats_them(app):
    async def view():
        return "ok"

    try:
        expected = Flask.ensure_sync(app, view)
    except RuntimeError as error:  # Flask without its async extra
        for _ in range(2):
            with pytest.raises(RuntimeError, match=str(error)[:40]):
                app.ensure_sync(view)
    else:
        assert app.ensure_sync(view) is not view
        assert type(app.ensure_sync(view)) is type(expected)


def test_unhashable_callables_still_work(app):
    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "ok"

    callable_object = Unhashable()
    assert app.ensure_sync(callable_object) is callable_object


def test_every_request_goes_through_the_kept_answers(client, app):
    assert client.get("/healthz").status_code == 200
    assert app.view_functions["health.healthz"] in app._sync_functions
