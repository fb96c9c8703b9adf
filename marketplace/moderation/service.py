"""Moderation rules: every decision about a listing or shop, recorded in the audit log.

Each decision changes a status only if nobody changed it first (a conditional UPDATE), so two admins
working the same queue, or an admin and the command line, never decide the same thing twice.
"""

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..catalogue import edits
from ..catalogue.models import Product
from ..errors import InvalidInput, InvalidState, NotAllowed
from ..extensions import db
from ..notifications import service as notify
from ..models_base import utcnow
from ..text import plain_text
from .models import REPORT_REASONS, ModerationDecision, ProductSnapshot, Report

MAX_REASON = 2000
MAX_REPORT_TEXT = 1000
MAX_BULK = 200
# Why a listing goes back to its producer; the label (in Indonesian) is what the producer reads.
REJECTION_REASONS = {
    "unclear_photo": _l("Foto kurang jelas"),
    "prohibited": _l("Barang terlarang"),
    "missing_permit": _l("Nomor P-IRT/halal belum dicantumkan"),
    "wrong_category": _l("Kategori tidak sesuai"),
    "misleading_price": _l("Harga menyesatkan"),
    "other": _l("Alasan lain"),
}
REPORT_REASON_LABELS = {
    "scam": _l("Penipuan"),
    "prohibited": _l("Barang terlarang"),
    "misleading": _l("Keterangan menyesatkan"),
    "counterfeit": _l("Barang palsu atau tidak sesuai"),
    "offensive": _l("Konten tidak pantas"),
    "other": _l("Lainnya"),
}
RESOLUTIONS = ("dismiss", "unpublish", "suspend")
# Regulation numbers are reviewed content too (buyers trust the badges), so they are kept with each approval.
SNAPSHOT_REGULATION_FIELDS = ("pirt_number", "bpom_number", "halal_number", "halal_expires_on")


def compose_reason(code, note=""):
    """The reason a producer reads: the chosen label (in Indonesian), then the admin's note."""
    if code not in REJECTION_REASONS:
        raise InvalidInput(_("Pilih alasan dari daftar."), field="reason")
    note = plain_text(note)
    if code == "other" and not note:
        raise InvalidInput(_("Tuliskan alasannya."), field="note")
    if code == "other":
        return note
    with force_locale("id"):
        label = str(REJECTION_REASONS[code])
    return f"{label}: {note}" if note else label


def record_decision(*, action, actor=None, product=None, shop=None, reason="", automatic=False):
    """Add one row to the audit log; rows are never changed afterwards."""
    if shop is None and product is not None:
        shop = product.shop
    decision = ModerationDecision(action=action, actor=actor, product=product, shop=shop, reason=reason,
                                  automatic=automatic)
    db.session.add(decision)
    return decision


def _require_admin(actor):
    if actor is None or not actor.is_admin:
        raise NotAllowed(_("Hanya admin yang dapat mengambil keputusan moderasi."))


def _reason(text, field="reason"):
    text = plain_text(text)
    if not text:
        raise InvalidInput(_("Tuliskan alasannya."), field=field)
    if len(text) > MAX_REASON:
        raise InvalidInput(_("Alasan paling panjang 2.000 karakter."), field=field)
    return text


def _product_state(product):
    return {
        "draft": _("Produk ini masih draf; produsennya belum mengajukannya untuk ditinjau."),
        "pending": _("Produk ini sedang menunggu tinjauan."),
        "approved": _("Produk ini sudah disetujui."),
        "rejected": _("Produk ini sudah ditolak dan menunggu perbaikan dari produsennya."),
        "archived": _("Produk ini sudah diarsipkan."),
    }[product.status]


def _claim(obj, new_status, **expected):
    """Set the status only if the row still has the expected values; False if someone was faster."""
    model = type(obj)
    conditions = [getattr(model, name) == value for name, value in expected.items()]
    result = db.session.execute(update(model).where(model.id == obj.id, *conditions).values(status=new_status),
                                execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        db.session.refresh(obj)
        return False
    # Also on the object, so that flush listeners (search) see the change.
    obj.status = new_status
    return True


def _claim_product(product, new_status, refusal, **expected):
    expected.setdefault("status", "pending")
    matches = all(getattr(product, name) == value for name, value in expected.items())
    if not matches or not _claim(product, new_status, **expected):
        raise InvalidState(refusal())


def _snapshot(product, decision):
    """Keep the reviewed content as approved, so that a later edit can be shown beside it."""
    db.session.add(ProductSnapshot(
        product_id=product.id, decision=decision, title=product.title, description=product.description,
        category_id=product.category_id, photo_hashes=[image.content_hash for image in product.images],
        **{name: getattr(product, name) for name in SNAPSHOT_REGULATION_FIELDS}))


def approve_product(product, actor, *, automatic=False):
    """Publish a pending listing (automatic: a trusted shop's, approved on submission with no actor)."""
    if not automatic:
        _require_admin(actor)
    _claim_product(product, "approved",
                   lambda: _("Produk ini tidak dapat disetujui. %(state)s", state=_product_state(product)))
    product.approved_at = utcnow()
    product.rejection_reason = ""
    product.changed_since_approval = False
    decision = record_decision(action="approve", actor=actor, product=product, automatic=automatic)
    _snapshot(product, decision)
    db.session.flush()
    if not automatic:  # a trusted shop's listing goes live as its producer submits it: nothing to tell
        notify.listing_decided("approved", product, decision)
    return decision


def approve_products(product_ids, actor):
    """Approve several listings; returns the approved ones and (id, why) for each one refused."""
    _require_admin(actor)
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        raise InvalidInput(_("Pilih minimal satu produk."), field="product_ids")
    if len(ids) > MAX_BULK:
        raise InvalidInput(_("Paling banyak %(n)d produk sekaligus.", n=MAX_BULK), field="product_ids")
    approved, refused = [], []
    for product_id in ids:
        product = db.session.get(Product, product_id)
        if product is None:
            refused.append((product_id, _("Produk tidak ditemukan.")))
            continue
        try:
            approve_product(product, actor)
        except InvalidState as error:
            refused.append((product_id, error.message))
        else:
            approved.append(product)
    return approved, refused


def reject_product(product, actor, reason):
    """Send a pending listing back to its producer with the reason."""
    _require_admin(actor)
    reason = _reason(reason)
    _claim_product(product, "rejected",
                   lambda: _("Produk ini tidak dapat ditolak. %(state)s", state=_product_state(product)))
    product.rejection_reason = reason
    decision = record_decision(action="reject", actor=actor, product=product, reason=reason)
    db.session.flush()
    notify.listing_decided("rejected", product, decision)
    return decision


def _claim_change(product, seen, refusal):
    """Take the listing's waiting change for one decision: refused when there is none, when another admin
    decided first, or when the producer changed it again after the admin looked (`seen`: edit_version)."""
    if product.status == "approved" and not product.changed_since_approval:
        raise InvalidState(_("Produk ini tidak berubah sejak disetujui; tidak ada yang perlu dikonfirmasi."))
    if seen is not None and product.pending_edit is not None and seen != edits.edit_version(product):
        raise InvalidState(_("Produsen mengubah produk ini lagi sejak halaman ini dibuka. Periksa perubahan "
                             "terbarunya."))
    _claim_product(product, "approved", refusal, status="approved", changed_since_approval=True)
    product.changed_since_approval = False


def confirm_change(product, actor, seen=None, *, automatic=False):
    """Accept the change waiting on an approved listing: it becomes the public, approved content (the index
    follows through the outbox). `seen` is the edit_version the admin looked at; automatic: the importer's
    --approve, with no actor."""
    if not automatic:
        _require_admin(actor)
    _claim_change(product, seen, lambda: _("Perubahan tidak dapat dikonfirmasi. %(state)s",
                                           state=_product_state(product)))
    edits.publish(product)
    product.rejection_reason = ""
    decision = record_decision(action="confirm_change", actor=actor, product=product, automatic=automatic)
    db.session.flush()
    _snapshot(product, decision)
    db.session.flush()
    return decision


def reject_change(product, actor, reason, seen=None):
    """Refuse the change waiting on an approved listing: the public keeps the approved version, and the
    producer is told why (on their listing and by email)."""
    _require_admin(actor)
    reason = _reason(reason)
    if product.pending_edit is None:
        raise InvalidState(_("Perubahan ini sudah tayang; turunkan produknya bila isinya tidak pantas."))
    _claim_change(product, seen, lambda: _("Perubahan tidak dapat ditolak. %(state)s",
                                           state=_product_state(product)))
    edits.discard(product)
    product.rejection_reason = reason
    decision = record_decision(action="reject_change", actor=actor, product=product, reason=reason)
    db.session.flush()
    notify.listing_decided("change_rejected", product, decision)
    return decision


def unpublish_product(product, actor, reason):
    """Take an approved listing out of the catalogue: it becomes 'rejected' with the reason, so its
    producer sees why, can fix it and submit it again."""
    _require_admin(actor)
    reason = _reason(reason)
    _claim_product(product, "rejected", lambda: _("Produk ini tidak dapat diturunkan. %(state)s",
                                                  state=_product_state(product)), status="approved")
    product.rejection_reason = reason
    product.changed_since_approval = False
    # Out of the catalogue, the producer's waiting change is simply the listing they fix and submit again.
    edits.publish(product)
    decision = record_decision(action="unpublish", actor=actor, product=product, reason=reason)
    db.session.flush()
    return decision


def suspend_shop(shop, actor, reason):
    """Take a whole shop out of the catalogue at once; its producer can still log in and read why.

    A suspended shop also loses its trusted mark: after reinstatement its listings are reviewed again."""
    _require_admin(actor)
    reason = _reason(reason)
    if shop.status != "active" or not _claim(shop, "suspended", status="active"):
        raise InvalidState(_("Toko ini sudah dibekukan."))
    shop.suspension_reason = reason
    decision = record_decision(action="suspend_shop", actor=actor, shop=shop, reason=reason)
    if shop.trusted:
        shop.trusted = False
        record_decision(action="untrust_shop", actor=actor, shop=shop, reason=reason)
    db.session.flush()
    return decision


def reinstate_shop(shop, actor, note=""):
    """Bring a suspended shop back; its approved listings are public again."""
    _require_admin(actor)
    note = plain_text(note)[:MAX_REASON]
    if shop.status != "suspended" or not _claim(shop, "active", status="suspended"):
        raise InvalidState(_("Toko ini tidak sedang dibekukan."))
    shop.suspension_reason = ""
    decision = record_decision(action="reinstate_shop", actor=actor, shop=shop, reason=note)
    db.session.flush()
    return decision


def set_trusted(shop, actor, trusted):
    """Mark a shop trusted (its new listings are approved on submission) or take the mark away."""
    _require_admin(actor)
    if shop.trusted == trusted:
        raise InvalidState(_("Toko ini sudah ditandai tepercaya.") if trusted
                           else _("Toko ini memang tidak ditandai tepercaya."))
    if trusted and shop.status != "active":
        raise InvalidState(_("Toko yang dibekukan tidak dapat ditandai tepercaya."))
    shop.trusted = trusted
    decision = record_decision(action="trust_shop" if trusted else "untrust_shop", actor=actor, shop=shop)
    db.session.flush()
    return decision


def file_report(*, reason, text="", address_hash, reporter=None, product=None, shop=None):
    """A visitor reports a public listing or an active shop; one open report per sender and target."""
    if reason not in REPORT_REASONS:
        raise InvalidInput(_("Pilih alasan laporan dari daftar."), field="reason")
    text = plain_text(text)
    if len(text) > MAX_REPORT_TEXT:
        raise InvalidInput(_("Keterangan paling panjang 1.000 karakter."), field="text")
    if reason == "other" and not text:
        raise InvalidInput(_("Ceritakan singkat apa masalahnya."), field="text")
    if product is not None:
        shop = product.shop
        if not product.is_public:
            raise NotAllowed(_("Produk tidak ditemukan."))
    elif shop is None or not shop.is_active:
        raise NotAllowed(_("Toko tidak ditemukan."))
    same_sender = Report.reporter_address_hash == address_hash
    if reporter is not None:
        same_sender = same_sender | (Report.reporter_id == reporter.id)
    if db.session.scalar(_open_reports_query(product, shop).where(same_sender).limit(1)) is not None:
        raise InvalidState(_("Anda sudah melaporkan ini. Admin kami sedang memeriksanya."))
    report = Report(product=product, shop=shop, reason=reason, text=text, reporter=reporter,
                    reporter_address_hash=address_hash)
    db.session.add(report)
    db.session.flush()
    return report


def _open_reports_query(product, shop):
    query = select(Report).where(Report.status == "open")
    if product is not None:
        return query.where(Report.product_id == product.id)
    return query.where(Report.shop_id == shop.id, Report.product_id.is_(None))


def resolve_reports(actor, action, *, product=None, shop=None, reason=""):
    """Close the open reports about a listing or a shop: dismiss them, unpublish the listing, or
    suspend the shop (which closes every open report about the shop and its listings)."""
    _require_admin(actor)
    if action not in RESOLUTIONS:
        raise InvalidInput(_("Pilih tindakan dari daftar."), field="action")
    if product is None and shop is None:
        raise InvalidInput(_("Laporan tidak ditemukan."))
    reports = db.session.scalars(_open_reports_query(product, shop)).all()
    if not reports:
        raise InvalidState(_("Tidak ada laporan terbuka untuk ini."))
    if action == "dismiss":
        decision = record_decision(action="dismiss_reports", actor=actor, product=product, shop=shop,
                                   reason=plain_text(reason)[:MAX_REASON])
    elif action == "unpublish":
        if product is None:
            raise InvalidInput(_("Hanya laporan tentang produk yang dapat diselesaikan dengan menurunkan produk."))
        decision = unpublish_product(product, actor, reason)
    else:
        shop = product.shop if product is not None else shop
        decision = suspend_shop(shop, actor, reason)
        reports = db.session.scalars(select(Report).where(Report.status == "open",
                                                          Report.shop_id == shop.id)).all()
    resolution = {"dismiss": "dismissed", "unpublish": "unpublished", "suspend": "suspended"}[action]
    for report in reports:
        report.status, report.resolution = "resolved", resolution
        report.resolved_by, report.resolved_at, report.decision = actor, utcnow(), decision
    db.session.flush()
    return decision
