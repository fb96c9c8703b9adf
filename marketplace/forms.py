"""The base of every form: Flask-WTF with the validators' own messages in the reader's language."""
import os
from functools import lru_cache

from babel.support import NullTranslations, Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm

TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")


@lru_cache(maxsize=8)
def _load(locale):
    translations = Translations.load(TRANSLATIONS_DIR, [locale], domain="wtforms")
    return translations if isinstance(translations, Translations) else NullTranslations()


class _ValidatorMessages:
    """WTForms ships no Indonesian; our catalogue (domain `wtforms`) supplies it."""

    def _catalogue(self):
        return _load(str(get_locale() or "id"))

    def gettext(self, string):
        return self._catalogue().ugettext(string)

    def ngettext(self, singular, plural, n):
        return self._catalogue().ungettext(singular, plural, n)


class Form(FlaskForm):
    """A form with CSRF protection and Indonesian validator messages."""

    class Meta:
        def get_translations(self, form):
            return _ValidatorMessages()
