"""Request helpers every feature's views share: where to go next, which page was asked for, where a refusal
is shown."""
from urllib.parse import urlsplit

from flask import abort, request, url_for

from .text import has_control

MAX_PAGE = 100_000


def safe_next(default_endpoint="catalogue.home"):
    """The `next` target when it is a path on this site, else the default page."""
    target = local_next()
    return target if target is not None else url_for(default_endpoint)


def local_next():
    """The `next` argument when it is a path on this site, else None.

    Control characters are refused too: a CR/LF would otherwise reach the Location header and fail the
    response after the login or the cart change was committed."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if (target.startswith("/") and not target.startswith("//") and not parts.netloc and "\\" not in target
            and not has_control(target)):
        return target
    return None


def page_number(last=None, strict=False):
    """The ?page= number (1 when absent).

    A number that is not a page (junk, 0, negative, absurdly large) is page 1, or 404 when `strict` (public
    pages that search engines follow). With `last`, a page past the end is the last page."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0
    if not 1 <= page <= MAX_PAGE:
        if strict:
            abort(404)
        page = 1
    return min(page, last) if last else page


def show_error(form, error):
    """Put a service's refusal (a DomainError) next to the field it names, or above the form."""
    if error.field and error.field in form:
        form[error.field].errors.append(error.message)
    else:
        form.form_errors.append(error.message)
