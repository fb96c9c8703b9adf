"""QRIS payloads: published static payloads pass, broken ones are refused with the reason, and a dynamic payload
parses back, by a decoder written here independently, to the same merchant and the amount asked."""
import pytest

from marketplace.errors import InvalidInput
from marketplace.payments import qris

# Static QRIS payloads published in public repositories (merchants' printed codes), checksums included.
PUBLISHED = [
    ("00020101021126670016COM.NOBUBANK.WWW01189360050300000879140214149391352933240303UMI51440014ID.CO.QRIS.WWW"
     "0215ID20233077025890303UMI5204541153033605802ID5919VALZSTORE OK14535636006SERANG61054211162070703A016304DCD2",
     "VALZSTORE OK1453563"),
    ("00020101021126570011ID.DANA.WWW011893600915311093669202091109366920303UKE51440014ID.CO.QRIS.WWW0215ID10210"
     "624013640303UKE5204899953033605802ID5909SHN GROUP6010Kab. Bogor6105163206304BAFC", "SHN GROUP"),
    ("00020101021126610016ID.CO.SHOPEE.WWW01189360091800228194190208228194190303UMI51440014ID.CO.QRIS.WWW0215ID10"
     "264932277260303UMI5204581753033605802ID5904ArSr6011PURBALINGGA61055337262070703A01630428C9", "ArSr"),
]


def decode(payload):
    """An independent reading: walk the TLV by slicing, and check the CRC bit by bit from its definition."""
    out, rest = {}, payload
    while rest:
        tag, size = rest[:2], int(rest[2:4])
        out[tag], rest = rest[4:4 + size], rest[4 + size:]
    register = 0xFFFF
    for bit in "".join(f"{byte:08b}" for byte in payload[:-4].encode()):
        top = (register >> 15) ^ int(bit)
        register = ((register << 1) & 0xFFFF) ^ (0x1021 if top else 0)
    assert out["63"] == f"{register:04X}", "checksum"
    return out


@pytest.mark.parametrize("payload, merchant", PUBLISHED)
def test_published_static_payloads_are_accepted(app, payload, merchant):
    assert qris.validate_static(payload) == merchant
    assert decode(payload)["59"] == merchant


@pytest.mark.parametrize("payload, merchant", PUBLISHED)
@pytest.mark.parametrize("amount", [1, 150237, 2_147_483_648])
def test_the_dynamic_payload_reads_back_to_the_merchant_and_amount(app, payload, merchant, amount):
    dynamic = qris.dynamic_payload(payload, amount)
    read = decode(dynamic)
    assert (read["01"], read["54"], read["59"], read["53"]) == ("12", str(amount), merchant, "360")
    assert qris.validate_static(dynamic) == merchant
    assert list(read) == sorted(read) or list(read).index("54") < list(read).index("58")


def test_a_known_checksum():
    assert f"{qris.crc16('123456789'):04X}" == "29B1"  # CRC-16/CCITT-FALSE check value


@pytest.mark.parametrize("change, reason", [
    (lambda p: p[:-4] + "0000", "Checksum QRIS salah"),
    (lambda p: p[:-1], "lebih pendek"),
    (lambda p: "X" + p, "harus angka"),
    (lambda p: p.replace("5303360", "5303840"), "Checksum"),
    (lambda p: "", "Tempel teks QRIS"),
    (lambda p: p + "<script>", "QRIS rusak"),
    (lambda p: p.replace("VALZSTORE", "VALZSTÖRE"), "Tempel teks QRIS"),
    (lambda p: "1" * 600, "Tempel teks QRIS"),
])
def test_a_broken_payload_is_refused_with_the_reason(app, change, reason):
    with pytest.raises(InvalidInput) as refused:
        qris.validate_static(change(PUBLISHED[0][0]))
    assert reason in refused.value.message
