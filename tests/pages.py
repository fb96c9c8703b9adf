"""Reading pages in tests: the status first, so that "X is not on the page" is checked on the page meant, not
on a login redirect or an error page that would pass any absence."""


def page_html(client, path, status=200, **kwargs):
    """GET `path` and return its HTML, after asserting the status it answered with."""
    return html_of(client.get(path, **kwargs), status, path)


def html_of(response, status=200, what="the page"):
    """The HTML of a response, after asserting its status."""
    assert response.status_code == status, (
        f"{what} answered {response.status_code} (expected {status})"
        + (f", redirecting to {response.headers['Location']}" if "Location" in response.headers else ""))
    return response.get_data(as_text=True)
