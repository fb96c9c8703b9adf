"""Words about a shop order that people pass on: courier names, and the one-tap WhatsApp messages between
producer and buyer (wa.me links with the text already written)."""
import re
from urllib.parse import quote

from flask_babel import gettext as _

from .. import text
from ..errors import InvalidInput

COURIER_NAMES = {"jne": "JNE", "jnt": "J&T Express", "sicepat": "SiCepat", "pos": "POS Indonesia",
                 "anteraja": "AnterAja", "ninja": "Ninja Xpress", "lion": "Lion Parcel"}


OTHER_COURIER_MAX = 40
# Letters (any script), digits, spaces and the punctuation of company names: "Travel Loa Kulu", "CV. Sinar & Co".
_OTHER_COURIER = re.compile(r"[^\W_][\w .,&'()/-]*")


def courier_name(code, other=""):
    """The courier as people call it: the typed name for 'other' when there is one, else 'another courier'."""
    if code == "other" and other:
        return other
    return COURIER_NAMES.get(code) or _("kurir lain")


def other_courier_name(code, typed):
    """The name typed for a courier not in the list, tidied; required for 'other', dropped for any other code."""
    if code != "other":
        return ""
    name = " ".join(str(typed or "").split())
    if not name:
        raise InvalidInput(_("Tulis nama kurirnya, misalnya Travel Loa Kulu."), field="courier_other")
    if len(name) > OTHER_COURIER_MAX or not _OTHER_COURIER.fullmatch(name):
        raise InvalidInput(_("Nama kurir paling banyak %(n)d huruf, angka, spasi dan tanda . , & ' ( ) / -",
                             n=OTHER_COURIER_MAX), field="courier_other")
    return name


def whatsapp_link(phone, message):
    """A wa.me link to an Indonesian number (08..., +62... or 62...) with the message filled in, or None."""
    number = text.normalise_mobile(str(phone or ""))
    if number is None:
        return None
    return f"https://wa.me/{number.lstrip('+')}?text={quote(message, safe='')}"


def message_to_buyer(part):
    """What the producer tells the buyer about the part's current state."""
    code, shop = part.order.code, part.shop.name
    messages = {
        "paid": _("Halo, pesanan %(code)s di %(shop)s sudah kami terima dan akan segera kami siapkan.",
                  code=code, shop=shop),
        "preparing": _("Halo, pesanan %(code)s sedang kami siapkan di %(shop)s.", code=code, shop=shop),
        "shipped": _("Halo, pesanan %(code)s sudah dikirim lewat %(courier)s, resi %(resi)s.", code=code,
                     courier=courier_name(part.courier, part.courier_other), resi=part.tracking_number),
        "ready_for_pickup": _("Halo, pesanan %(code)s sudah siap diambil di %(shop)s.", code=code, shop=shop),
        "completed": _("Terima kasih, pesanan %(code)s sudah selesai. Jangan lupa beri ulasan ya.", code=code),
        "cancelled": _("Mohon maaf, pesanan %(code)s di %(shop)s kami batalkan: %(reason)s. Dana Anda "
                       "dikembalikan.", code=code, shop=shop, reason=part.cancel_reason),
    }
    return messages.get(part.state, _("Halo, tentang pesanan %(code)s di %(shop)s.", code=code, shop=shop))


def link_to_buyer(part):
    """The producer's one-tap WhatsApp message to the buyer about this part, or None without a usable number."""
    return whatsapp_link(part.order.phone, message_to_buyer(part))


def link_to_producer(part):
    """The buyer's one-tap WhatsApp message to the shop about this part of the order."""
    return whatsapp_link(part.shop.whatsapp, _("Halo %(shop)s, saya ingin bertanya tentang pesanan %(code)s.",
                                               shop=part.shop.name, code=part.order.code))
