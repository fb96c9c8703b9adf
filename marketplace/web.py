"""Request helpers every feature's views share: where to go next, which page was asked for, where a refusal
is shown."""
from urllib.parse import urlsplit

from flask import abort, current_app, g, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

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


# Pages drawn for visitors who carry nothing personal, by what they were drawn from; see shared_page().
_SHARED_PAGES_KEY = "pasardesa_shared_pages"
MAX_SHARED_PAGES = 500


def shared_page(read_inputs, draw, logged_in=False):
    """draw()'s HTML, drawn once per language, address and read_inputs() for visitors without a session.

    read_inputs() must return every row the page is drawn from, read on this request (plain rows are cheap
    to read; drawing the page from them costs several times more). The same rows, language and address draw
    the same page, so a kept page is never stale: a changed row is a new key. Any other visitor (a session
    with a cart or flashed messages, a login) gets draw(), except, with `logged_in`, a logged-in user on a
    page whose only personal part is the header: their header's inputs (who they are, their cart's and
    shop's counts) join the key. The page's CSRF token is drawn afresh on every request. read_inputs()
    returning None (no such listing, say) means the page is not to be kept."""
    header = _header_inputs(logged_in)
    if header is None:
        return draw()
    inputs = read_inputs()
    if inputs is None:
        return draw()
    app = current_app._get_current_object()
    pages = app.extensions.setdefault(_SHARED_PAGES_KEY, {})
    key = (request.endpoint, str(get_locale()), request.script_root, request.path, request.query_string, header,
           inputs)
    try:
        kept = pages.get(key)
    except TypeError:  # an unhashable input: draw it afresh
        return draw()
    if kept is not None:
        html, token = kept
        return html.replace(token, generate_csrf()) if token else html
    html = draw()
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if isinstance(html, str) and (header or not set(session) - {field}) and "_flashes" not in session:
        if len(pages) >= MAX_SHARED_PAGES:
            pages.clear()
        pages[key] = (html, g.get(field) if field in g else None)
    return html


def _header_inputs(logged_in):
    """() for a visitor who carries nothing personal; what a logged-in user's header is drawn from when
    `logged_in` allows them; None when the page must be drawn afresh."""
    if request.method != "GET":
        return None
    cookies, config = request.cookies, current_app.config
    if config["SESSION_COOKIE_NAME"] not in cookies:
        if config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies or current_user.is_authenticated:
            return None
        return ()
    if not logged_in or "_flashes" in session or not current_user.is_authenticated:
        return None
    # base.html's header: the user's name and role, the cart's count and a producer's new orders.
    context = {}
    current_app.update_template_context(context)
    user = current_user._get_current_object()
    waiting = context["shop_orders_waiting"]() if user.is_producer else None
    return user.id, user.name, user.role, context["cart_count"](), waiting


_FRAGMENTS_KEY = "pasardesa_fragments"


def shared_fragment(inputs, draw):
    """draw()'s HTML, a part of a page with nothing personal in it, drawn once per language and `inputs`.

    As with shared_page, `inputs` holds every row the part is drawn from, read on this request, so a kept
    part is never stale; unlike it, the part may go into anybody's page (a logged-in buyer's home page)."""
    pages = current_app.extensions.setdefault(_FRAGMENTS_KEY, {})
    key = (str(get_locale()), request.script_root, inputs)
    html = pages.get(key)
    if html is None:
        if len(pages) >= MAX_SHARED_PAGES:
            pages.clear()
        html = pages[key] = Markup(draw())
    return html
