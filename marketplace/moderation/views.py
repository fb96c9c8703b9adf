"""The admins' moderation screens under /admin, and the visitors' report forms.

The routes are spread over views_listings.py, views_shops.py and views_reports.py, which attach to `bp`.
"""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from ..accounts.decorators import role_required
from ..extensions import db
from ..web import page_number, show_error  # noqa: F401 (kept importable from here)
from . import charts, queries
from .forms import ACTION_LABELS, MAX_ID, REGULATION_LABELS, RESOLUTION_LABELS, AuditFilterForm
from .service import REPORT_REASON_LABELS

bp = Blueprint("moderation", __name__)
admin_required = role_required("admin")


def get_or_404(model, ident):
    """The row with this id, or 404 (also for ids no database column could hold)."""
    row = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if row is None:
        abort(404)
    return row


@bp.context_processor
def moderation_labels():
    """Decision, report and resolution labels for the moderation templates."""
    return {"action_labels": ACTION_LABELS, "report_reason_labels": REPORT_REASON_LABELS,
            "resolution_labels": RESOLUTION_LABELS, "regulation_labels": REGULATION_LABELS}


@bp.route("/admin")
@admin_required
def overview():
    """Counts at a glance, the oldest waiting listing and weekly approvals."""
    weeks = queries.approvals_per_week()
    chart = charts.weekly_bars(weeks, _("Produk disetujui per minggu, 12 minggu terakhir"))
    return render_template("moderation/overview.html", counts=queries.overview_counts(),
                           districts=queries.counts_by_district(), weeks=weeks, chart=chart)


@bp.route("/admin/audit")
@admin_required
def audit():
    """Every decision, filterable by action, admin, shop and dates."""
    form = AuditFilterForm(request.args)
    form.set_admins(queries.admins())
    if not form.validate():
        return render_template("moderation/audit.html", form=form, pagination=None), 422
    pagination = queries.audit_log(action=form.action.data or None,
                                   admin_id=int(form.admin.data) if form.admin.data else None,
                                   shop_text=(form.shop.data or "").strip(), date_from=form.date_from.data,
                                   date_to=form.date_to.data, page=form.page.data or 1)
    filters = {name: value for name, value in request.args.items(multi=False)
               if name in form and name != "page" and value}
    return render_template("moderation/audit.html", form=form, pagination=pagination, filters=filters)


from . import views_listings, views_reports, views_shops  # noqa: E402,F401  (they attach routes to bp)
