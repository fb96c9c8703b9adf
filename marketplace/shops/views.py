"""Producer dashboard and shop profile."""
from flask import Blueprint, render_template
from flask_login import current_user

from ..accounts.decorators import role_required
from . import service

bp = Blueprint("shops", __name__)


@bp.route("/dashboard")
@role_required("producer")
def dashboard():
    """The producer's shop and listings at a glance."""
    shop = service.shop_of(current_user)
    return render_template("shops/dashboard.html", shop=shop)
