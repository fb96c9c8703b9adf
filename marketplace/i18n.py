"""Language choice and the formatting filters (rupiah, WITA)."""
from datetime import timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app, g, has_request_context, request
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations

LANG_COOKIE = "lang"


def select_locale():
    """?lang= wins, then the language cookie, then Accept-Language, then Indonesian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    asked = request.args.get("lang", "")
    if asked in languages:
        g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_language(response):
    """Store a language chosen with ?lang= in a cookie for a year."""
    lang = g.pop("set_lang_cookie", None)
    if lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def language_url(lang):
    """This page in another language: the current query (a search, a page number) kept, ?lang= set."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return "?" + urlencode(args + [("lang", lang)])


def rupiah(amount_idr):
    """Whole rupiah as Indonesians write it, in either UI language: Rp15.000."""
    if amount_idr is None:
        return ""
    # What Babel's format_currency(..., "IDR", locale="id_ID", format="¤#,##0") gives, at a hundredth of
    # its cost: a page of 24 product cards spent a quarter of its time here.
    amount = int(amount_idr)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def wita(moment, pattern="d MMM yyyy, HH.mm"):
    """A stored UTC time shown in the display zone (WITA in Kutai Kartanegara)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    zone_name = current_app.config["DISPLAY_TIMEZONE"]
    local = moment.astimezone(ZoneInfo(zone_name))
    suffix = " WITA" if zone_name == "Asia/Makassar" else ""
    return format_datetime(local, pattern, locale=str(get_locale())) + suffix


_TRANSLATED = {}


def template_gettext(string):
    """`_()` in templates: what Flask-Babel's gettext returns, remembered per language and string.

    Flask-Babel finds the request's language and its catalogue anew on every call, through about ten
    context-local lookups; a product page calls it some 30 times. Catalogues are loaded once per process
    and never change while it runs, so (language, string) always translates alike; the language is read
    from where Flask-Babel keeps it for this request (force_locale() included)."""
    app_context = _cv_app.get(None)
    babel_context = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
    locale = getattr(babel_context, "babel_locale", None)
    if locale is None:  # the first lookup of a request selects its language
        return get_translations().ugettext(string)
    key = (locale.language, locale.territory, locale.script, locale.variant, string)
    found = _TRANSLATED.get(key)
    if found is None:
        if len(_TRANSLATED) > 10_000:  # templates pass literals only; a bound all the same
            _TRANSLATED.clear()
        found = _TRANSLATED[key] = get_translations().ugettext(string)
    return found


def _install_template_gettext(app):
    """Flask-Babel's template callables, with template_gettext for the plain `_()` they mostly use."""
    app.jinja_env.install_gettext_callables(
        gettext=template_gettext,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
        newstyle=True)


def init_i18n(app):
    """Register the filters, the template translation callables and the language cookie hook."""
    _install_template_gettext(app)
    app.add_template_filter(rupiah)
    app.add_template_filter(wita)
    app.add_template_global(language_url)
    app.after_request(remember_language)
    app.context_processor(lambda: {"current_locale": lambda: str(get_locale())})
