"""Small text rules shared by features: slugs and Indonesian phone numbers."""
import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_PHONE_JUNK = re.compile(r"[\s\-().]")
# Indonesian mobile numbers: 8 followed by 8 to 11 digits after the country code.
_MOBILE = re.compile(r"^8[1-9][0-9]{7,10}$")


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
