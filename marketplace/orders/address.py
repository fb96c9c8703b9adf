"""The delivery address: its rules, and the copy remembered for the buyer's next checkout."""
import re
from dataclasses import dataclass, fields

from flask_babel import gettext as _

from .. import regions
from ..errors import InvalidInput
from ..extensions import db
from ..text import normalise_mobile, plain_text
from .models import BuyerAddress

_POSTAL = re.compile(r"^[1-9][0-9]{4}$")


@dataclass
class Address:
    """What the buyer types at checkout."""

    recipient_name: str = ""
    phone: str = ""
    street: str = ""
    province_code: str = ""
    regency_code: str = ""
    district_code: str = ""
    village_code: str = ""
    postal_code: str = ""
    note: str = ""


def _clean(value, one_line=True):
    text = plain_text(value)
    return " ".join(text.split()) if one_line else text


def _region(code, parent_code, message, field_name):
    """The code when it names a region directly below parent_code, else InvalidInput."""
    code = _clean(code)
    if not code or regions.name(code) is None or regions.parent(code) != parent_code:
        raise InvalidInput(message, field=field_name)
    return code


def validate_address(address, needs_delivery=True):
    """A cleaned copy of the address, or InvalidInput naming the field; pickup-only orders need just name and phone."""
    name = _clean(address.recipient_name)
    if not 2 <= len(name) <= 120:
        raise InvalidInput(_("Nama penerima 2 sampai 120 karakter."), field="recipient_name")
    phone = normalise_mobile(_clean(address.phone)[:40])
    if phone is None:
        raise InvalidInput(_("Nomor HP tidak dikenali. Contoh: 0812 3456 7890."), field="phone")
    note = _clean(address.note, one_line=False)
    if len(note) > 500:
        raise InvalidInput(_("Catatan paling panjang 500 karakter."), field="note")
    clean = Address(recipient_name=name, phone=phone, note=note)
    if needs_delivery:
        _fill_place(clean, address)
    return clean


def _fill_place(clean, address):
    street = _clean(address.street, one_line=False)
    if not 5 <= len(street) <= 300:
        raise InvalidInput(_("Alamat jalan 5 sampai 300 karakter (jalan, nomor rumah, RT/RW)."), field="street")
    clean.street = street
    clean.province_code = _region(address.province_code, "", _("Pilih provinsi."), "province_code")
    clean.regency_code = _region(address.regency_code, clean.province_code, _("Pilih kabupaten/kota."),
                                 "regency_code")
    clean.district_code = _region(address.district_code, clean.regency_code, _("Pilih kecamatan."),
                                  "district_code")
    clean.village_code = _region(address.village_code, clean.district_code, _("Pilih desa/kelurahan."),
                                 "village_code")
    postal = _clean(address.postal_code)
    if not _POSTAL.match(postal):
        raise InvalidInput(_("Kode pos terdiri dari 5 angka."), field="postal_code")
    clean.postal_code = postal


def copy_address(source, target):
    """Copy the address fields from one holder (Address, Order, BuyerAddress) to another."""
    for item in fields(Address):
        setattr(target, item.name, getattr(source, item.name))
    return target


def remembered_address(user):
    """The address the buyer used last, or an empty one."""
    saved = db.session.get(BuyerAddress, user.id)
    return copy_address(saved, Address()) if saved else Address(recipient_name=user.name, phone=user.phone or "")


def remember_address(user, address):
    """Keep the address for the buyer's next checkout (a pickup-only order keeps the old street)."""
    saved = db.session.get(BuyerAddress, user.id)
    if saved is None:
        saved = BuyerAddress(user_id=user.id)
        db.session.add(saved)
    if address.street:
        copy_address(address, saved)
    else:
        saved.recipient_name, saved.phone, saved.note = address.recipient_name, address.phone, address.note
    db.session.flush()
