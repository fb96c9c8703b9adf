"""Small text rules shared by features: plain text, slugs, Indonesian phone numbers, and numbers typed the
Indonesian way."""
import re
import unicodedata

# Control characters, C0 and C1, except tab and line feed (a CR is turned into a line feed first).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_PHONE_JUNK = re.compile(r"[\s\-().]")
# Indonesian mobile numbers: 8 followed by 8 to 11 digits after the country code.
_MOBILE = re.compile(r"^8[1-9][0-9]{7,10}$")


def plain_text(value):
    """Text as typed, with line breaks as \\n and no control characters, trimmed."""
    return CONTROL.sub("", str(value or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def one_line(value):
    """Plain text on one line, runs of white space (line breaks included) as one space."""
    return " ".join(plain_text(value).split())


def has_control(value):
    """Whether the text holds a control character (line breaks included)."""
    return CONTROL.search(value) is not None or "\n" in value or "\t" in value


def slugify(text, max_length=80):
    """Lower-case ASCII words joined by hyphens ('Madu Kelulut Asli!' -> 'madu-kelulut-asli')."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def normalise_mobile(raw):
    """0812..., 62812... or +62 812-... as E.164 '+62812...', or None when not a plausible mobile."""
    digits = _PHONE_JUNK.sub("", raw or "")
    if digits.startswith("+62"):
        national = digits[3:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if not _MOBILE.match(national):
        return None
    return "+62" + national


_PLAIN_NUMBER = re.compile(r"-?[0-9]+")
_GROUPED_NUMBER = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})+")
_CURRENCY_PREFIX = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE)
# "Rp15.000,-" and "Rp15.000,00" are how prices are often written; both mean whole rupiah.
_CURRENCY_SUFFIX = re.compile(r"(?:,-|,00?)$")
# Longer than this, a number is beyond every range we accept; the caller's range check says so.
_MAX_DIGITS = 18
_OUT_OF_RANGE = 10 ** _MAX_DIGITS


def parse_whole_number(text, currency=False):
    """'15000' or '15.000' (and, as currency, 'Rp 15.000' or 'Rp15.000,-') as an int; ValueError otherwise.

    The one rule for every rupiah typed anywhere (listing and shop forms, search filters, the JSON API,
    the spreadsheet import): '200.000', '200000' and 'Rp200.000' are the same amount; '15,5' is refused."""
    value = (text or "").strip()
    if currency:
        value = _CURRENCY_SUFFIX.sub("", _CURRENCY_PREFIX.sub("", value)).strip()
    if not (_PLAIN_NUMBER.fullmatch(value) or _GROUPED_NUMBER.fullmatch(value)):
        raise ValueError(value)
    digits = value.replace(".", "")
    if len(digits.lstrip("-")) > _MAX_DIGITS:
        return -_OUT_OF_RANGE if digits.startswith("-") else _OUT_OF_RANGE
    return int(digits)


def parse_rupiah(text):
    """Whole rupiah as people type them ('200.000', '200000', 'Rp200.000', 'Rp 200.000,-'); ValueError otherwise."""
    return parse_whole_number(text, currency=True)
