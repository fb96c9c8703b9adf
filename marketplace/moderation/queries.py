"""What the admin screens show: the queues, report groups, counts, weekly approvals, the audit log.

Read-only: every change goes through service.py.
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import regions
from ..accounts.models import User
from ..catalogue import edits
from ..catalogue.models import Product, ProductEdit
from ..extensions import db
from ..models_base import utcnow
from ..shops.models import Shop
from ..text import plain_text
from .models import ModerationDecision, ProductSnapshot, Report
from .service import SNAPSHOT_REGULATION_FIELDS

PER_PAGE = 25
AUDIT_PER_PAGE = 50
ACTIONS = ("approve", "reject", "confirm_change", "reject_change", "unpublish", "suspend_shop", "reinstate_shop", "trust_shop",
           "untrust_shop", "dismiss_reports", "review_hidden")


def _display_zone():
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def _product_loading():
    return (selectinload(Product.images), selectinload(Product.category),
            selectinload(Product.shop).selectinload(Shop.owner),
            selectinload(Product.pending_edit).selectinload(ProductEdit.images))


def paginate(query, page, per_page=PER_PAGE):
    """One page of a select (page numbers below 1 or past the end give an empty page, never an error)."""
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False, count=True)


def review_queue(page=1):
    """Pending listings, the longest waiting first."""
    query = (select(Product).where(Product.status == "pending").options(*_product_loading())
             .order_by(Product.submitted_at.asc(), Product.id.asc()))
    return paginate(query, page)


def changed_listings(page=1):
    """Approved listings edited since approval, the earliest edit first."""
    query = (select(Product).where(Product.status == "approved", Product.changed_since_approval.is_(True))
             .options(*_product_loading()).order_by(Product.updated_at.asc(), Product.id.asc()))
    return paginate(query, page)


def latest_snapshot(product):
    """The content of the listing as last approved, or None (approved before snapshots were kept)."""
    return db.session.scalar(select(ProductSnapshot).where(ProductSnapshot.product_id == product.id)
                             .order_by(ProductSnapshot.id.desc()).limit(1))


@dataclass
class Change:
    """One reviewed field: the approved value beside the current one."""

    name: str
    old: object
    new: object

    @property
    def changed(self):
        """True when the value differs."""
        return self.old != self.new


@dataclass
class ChangeSummary:
    """What changed in a listing since it was approved; `version` names the waiting edit shown."""

    title: Change
    description: Change
    category: Change
    regulations: list
    old_photos: list
    new_photos: list
    added_photos: list = field(default_factory=list)
    removed_photos: list = field(default_factory=list)
    version: str = ""

    @property
    def photos_changed(self):
        """True when photos were added, removed or put in another order."""
        return self.old_photos != self.new_photos


def change_summary(product):
    """Old beside new for title, description, category, regulation numbers and photos: the public listing
    beside its waiting edit, or (a change already public: a trusted shop's) the last snapshot beside the
    listing. None when neither exists."""
    old, new = product, product.pending_edit
    if new is not None:
        old_photos = [image.content_hash for image in product.images]
    else:
        old, new = latest_snapshot(product), product
        if old is None:
            return None
        old_photos = list(old.photo_hashes or [])
    new_photos = [image.content_hash for image in new.images]
    return ChangeSummary(
        title=Change("title", old.title, new.title),
        description=Change("description", old.description, new.description),
        category=Change("category", old.category, new.category),
        regulations=[Change(name, getattr(old, name), getattr(new, name)) for name in SNAPSHOT_REGULATION_FIELDS],
        old_photos=old_photos, new_photos=new_photos,
        added_photos=[h for h in new_photos if h not in old_photos],
        removed_photos=[h for h in old_photos if h not in new_photos], version=edits.edit_version(product))


def decisions_about(product=None, shop=None):
    """The audit trail of one listing or one shop (shop: its own decisions and its listings'), newest first."""
    query = select(ModerationDecision).options(selectinload(ModerationDecision.actor),
                                               selectinload(ModerationDecision.product))
    if product is not None:
        query = query.where(ModerationDecision.product_id == product.id)
    else:
        query = query.where(ModerationDecision.shop_id == shop.id)
    return db.session.scalars(query.order_by(ModerationDecision.id.desc())).all()


@dataclass
class ReportGroup:
    """The open reports about one listing, or about one shop itself."""

    shop: Shop
    product: Product | None
    reports: list

    @property
    def key(self):
        """'product-<id>' or 'shop-<id>': names the group in the page and its forms."""
        return f"product-{self.product.id}" if self.product is not None else f"shop-{self.shop.id}"

    @property
    def senders(self):
        """How many different senders (by address) reported it."""
        return len({report.reporter_address_hash for report in self.reports})

    @property
    def first_at(self):
        """When the first of these reports arrived."""
        return min(report.created_at for report in self.reports)


def open_report_groups():
    """Open reports grouped by listing or shop, the group with most senders first."""
    reports = db.session.scalars(
        select(Report).where(Report.status == "open").order_by(Report.created_at.asc(), Report.id.asc())
        .options(selectinload(Report.product), selectinload(Report.shop), selectinload(Report.reporter))).all()
    groups = {}
    for report in reports:
        key = ("product", report.product_id) if report.product_id else ("shop", report.shop_id)
        groups.setdefault(key, ReportGroup(report.shop, report.product, [])).reports.append(report)
    return sorted(groups.values(), key=lambda group: (-group.senders, group.first_at))


def reports_about(product=None, shop=None):
    """Every report about a listing or a shop (the shop's own, not its listings'), newest first."""
    query = select(Report).options(selectinload(Report.reporter))
    if product is not None:
        query = query.where(Report.product_id == product.id)
    else:
        query = query.where(Report.shop_id == shop.id, Report.product_id.is_(None))
    return db.session.scalars(query.order_by(Report.id.desc())).all()


def overview_counts():
    """The numbers on the admin overview."""
    count = lambda query: db.session.scalar(query) or 0  # noqa: E731
    oldest = db.session.scalar(select(func.min(Product.submitted_at)).where(Product.status == "pending"))
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return {
        "pending": count(select(func.count()).where(Product.status == "pending")),
        "changed": count(select(func.count()).where(Product.status == "approved",
                                                    Product.changed_since_approval.is_(True))),
        "open_reports": count(select(func.count()).where(Report.status == "open")),
        "suspended_shops": count(select(func.count()).where(Shop.status == "suspended")),
        "oldest_pending_age": utcnow() - oldest if oldest is not None else None,
    }


def counts_by_district():
    """(district name, active shops, public listings) for every Kutai Kartanegara district."""
    shops = dict(db.session.execute(select(Shop.district_code, func.count()).where(Shop.status == "active")
                                    .group_by(Shop.district_code)).all())
    listings = dict(db.session.execute(
        select(Shop.district_code, func.count(Product.id)).select_from(Product).join(Product.shop)
        .where(Product.status == "approved", Shop.status == "active").group_by(Shop.district_code)).all())
    return [(name, shops.get(code, 0), listings.get(code, 0)) for code, name in regions.home_districts()]


def approvals_per_week(weeks=12, now=None):
    """[(Monday of the week, listings approved that week)] for the last `weeks` weeks, in display time."""
    zone = _display_zone()
    today = (now or utcnow()).astimezone(zone).date()
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_monday, time(0), zone).astimezone(timezone.utc)
    counts = {first_monday + timedelta(weeks=n): 0 for n in range(weeks)}
    moments = db.session.scalars(select(ModerationDecision.created_at).where(
        ModerationDecision.action == "approve", ModerationDecision.created_at >= since))
    for moment in moments:
        local = moment.astimezone(zone).date()
        monday = local - timedelta(days=local.weekday())
        if monday in counts:
            counts[monday] += 1
    return sorted(counts.items())


def day_range_utc(start, end):
    """A range of display-time dates (either may be None) as UTC datetimes [from, until)."""
    zone = _display_zone()
    since = datetime.combine(start, time(0), zone).astimezone(timezone.utc) if start else None
    until = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(timezone.utc) if end else None
    return since, until


def audit_log(*, action=None, admin_id=None, shop_text="", date_from=None, date_to=None, page=1):
    """The decisions matching the filters, newest first, one page at a time."""
    query = select(ModerationDecision).options(selectinload(ModerationDecision.actor),
                                               selectinload(ModerationDecision.product),
                                               selectinload(ModerationDecision.shop))
    if action:
        query = query.where(ModerationDecision.action == action)
    if admin_id:
        query = query.where(ModerationDecision.actor_id == admin_id)
    if shop_text:
        pattern = _like(shop_text)
        shops = select(Shop.id).where(or_(func.lower(Shop.name).like(pattern, escape="\\"),
                                          func.lower(Shop.slug).like(pattern, escape="\\")))
        query = query.where(ModerationDecision.shop_id.in_(shops))
    since, until = day_range_utc(date_from, date_to)
    if since is not None:
        query = query.where(ModerationDecision.created_at >= since)
    if until is not None:
        query = query.where(ModerationDecision.created_at < until)
    return paginate(query.order_by(ModerationDecision.id.desc()), page, AUDIT_PER_PAGE)


def admins():
    """Every admin account, by name, for the audit filter."""
    return db.session.scalars(select(User).where(User.role == "admin").order_by(User.name, User.id)).all()


def _like(text):
    """A LIKE pattern matching the text literally (wildcards escaped, control characters dropped)."""
    text = plain_text(text)
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def find_shops(text="", status="", page=1):
    """Shops whose name, slug or district matches the text, by name."""
    query = select(Shop).options(selectinload(Shop.owner))
    text = plain_text(text)
    if text:
        pattern = _like(text)
        districts = [code for code, name in regions.home_districts() if text.lower() in name.lower()]
        query = query.where(or_(func.lower(Shop.name).like(pattern, escape="\\"),
                                func.lower(Shop.slug).like(pattern, escape="\\"),
                                Shop.district_code.in_(districts)))
    if status:
        query = query.where(Shop.status == status)
    return paginate(query.order_by(Shop.name, Shop.id), page)


def listing_counts(shop):
    """How many listings of the shop are in each status."""
    return dict(db.session.execute(select(Product.status, func.count()).where(Product.shop_id == shop.id)
                                   .group_by(Product.status)).all())


def snapshot_hashes_in_use(_sender=None):
    """Photos of each listing's last approved version: shown until an edit is confirmed (`flask media collect`)."""
    latest = select(func.max(ProductSnapshot.id)).group_by(ProductSnapshot.product_id)
    used = set()
    for hashes in db.session.scalars(select(ProductSnapshot.photo_hashes).where(ProductSnapshot.id.in_(latest))):
        used.update(hashes or ())
    return used
