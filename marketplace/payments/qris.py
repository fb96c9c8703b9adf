"""QRIS payloads (EMVCo merchant-presented QR): check the platform's static payload an admin pastes, and make
from it the dynamic one for a payment, with the amount filled in, that any Indonesian e-wallet or bank app pays.

A payload is a run of tag-length-value fields: two digits of tag, two of length, then the value. It ends with
tag 63, the CRC16-CCITT (polynomial 0x1021, initial 0xFFFF) of everything before that value, in four upper-case
hex digits.
"""
from functools import lru_cache

import segno
from flask_babel import gettext as _
from markupsafe import Markup

from ..errors import InvalidInput

MAX_PAYLOAD = 512
MAX_AMOUNT_IDR = 10 ** 13  # tag 54 holds at most 13 characters
# Modules drawn 4 px wide, with the four-module quiet zone the QR standard asks: about 230 px for a payload.
SVG_SCALE = 4


def crc16(text):
    """CRC16-CCITT (0x1021, initial 0xFFFF, no reflection, no final xor) of text's bytes."""
    crc = 0xFFFF
    for byte in text.encode("utf-8"):
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def fields(payload):
    """[(tag, value)] of a payload; InvalidInput naming where the structure breaks."""
    found, position = [], 0
    while position < len(payload):
        head = payload[position:position + 4]
        if len(head) < 4 or not head.isdigit():
            raise InvalidInput(_("QRIS rusak pada posisi %(at)s: tag dan panjang harus angka.", at=position))
        length = int(head[2:])
        value = payload[position + 4:position + 4 + length]
        if len(value) != length:
            raise InvalidInput(_("QRIS rusak pada posisi %(at)s: isi lebih pendek dari panjangnya.", at=position))
        found.append((head[:2], value))
        position += 4 + length
    return found


def validate_static(payload):
    """The merchant name of a well-formed QRIS payload with a correct checksum; InvalidInput with the reason."""
    payload = str(payload or "").strip()  # merchant names have spaces: only the ends are trimmed
    if not 20 <= len(payload) <= MAX_PAYLOAD or not payload.isascii() or not payload.isprintable():
        raise InvalidInput(_("Tempel teks QRIS (huruf dan angka biasa, paling banyak %(count)s).", count=MAX_PAYLOAD))
    tags = fields(payload)
    if tags[0] != ("00", "01"):
        raise InvalidInput(_("QRIS harus diawali format 01 (tag 00)."))
    if tags[-1][0] != "63" or len(tags[-1][1]) != 4:
        raise InvalidInput(_("QRIS harus diakhiri checksum (tag 63, 4 karakter)."))
    expected = f"{crc16(payload[:-4]):04X}"
    if tags[-1][1].upper() != expected:
        raise InvalidInput(_("Checksum QRIS salah: tertulis %(found)s, seharusnya %(expected)s.",
                             found=tags[-1][1], expected=expected))
    values = dict(tags)
    if values.get("53") != "360":
        raise InvalidInput(_("QRIS harus dalam rupiah (tag 53 = 360)."))
    if not values.get("59", "").strip():
        raise InvalidInput(_("QRIS tidak memuat nama merchant (tag 59)."))
    return values["59"].strip()


def dynamic_payload(static, amount_idr):
    """The payload for one payment: point of initiation 12 (dynamic), tag 54 = amount, checksum recomputed."""
    validate_static(static)
    if isinstance(amount_idr, bool) or not isinstance(amount_idr, int) or not 1 <= amount_idr < MAX_AMOUNT_IDR:
        raise ValueError(f"amount in whole rupiah expected, got {amount_idr!r}")
    out = []
    for tag, value in fields(static.strip()):
        if tag in ("54", "63"):
            continue
        if tag == "01":
            value = "12"
        if tag == "58" and not any(existing == "54" for existing, _value in out):
            out.append(("54", str(amount_idr)))
        out.append((tag, value))
    if not any(tag == "54" for tag, _value in out):
        raise InvalidInput(_("QRIS tidak memuat kode negara (tag 58)."))
    body = "".join(f"{tag}{len(value):02d}{value}" for tag, value in out) + "6304"
    return body + f"{crc16(body):04X}"


@lru_cache(maxsize=256)
def svg(payload, title=""):
    """The payload as an inline SVG QR code (drawn on the server: no script, no external service).

    Error correction M at least (segno raises it when the version has room), never a Micro QR, which e-wallets
    do not read. Drawing takes about 60 ms (segno scores the eight masks in Python), so each process keeps the
    last codes it drew: a buyer reloading the payment page gets the same code at once."""
    code = segno.make(payload, error="m", micro=False)
    drawn = code.svg_inline(scale=SVG_SCALE, border=4, svgclass="qris", lineclass=None, title=str(title),
                            dark="#000", light="#fff")
    return Markup(drawn)
