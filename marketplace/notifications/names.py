"""Free text typed by strangers, made fit for an email the marketplace signs: names are cut short and carry
no links, so an account cannot turn our messages into its own advertisement."""
import re

from flask_babel import gettext as _

MAX_NAME_CHARS = 40
# Schemes (https://, mailto:), "www." and anything shaped like a domain or an email address; a one-letter first
# part is left alone, so academic titles such as "S.Pd." stay.
_LINK = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*:\S*|\bwww\.\S*|\S*@\S*|\b[\w-]{2,}(?:\.[\w-]+)*\.[a-z]{2,}\b/?\S*)")


def email_name(name):
    """A name as an email may show it: without links, on one line, at most MAX_NAME_CHARS characters."""
    text = " ".join(_LINK.sub(" ", str(name or "")).split())
    if len(text) > MAX_NAME_CHARS:
        text = text[:MAX_NAME_CHARS - 1].rstrip() + "…"
    return text or _("Pelanggan")
