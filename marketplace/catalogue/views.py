"""Public catalogue: home, category pages, product pages."""
from flask import Blueprint, render_template
from sqlalchemy import func, select

from ..extensions import db
from ..regions import home_districts
from ..shops.models import Shop
from . import service
from .models import Product

bp = Blueprint("catalogue", __name__)

NEWEST_ON_HOME = 24


@bp.route("/")
def home():
    """Categories, newest listings and districts."""
    query = (service.public_products().order_by(Product.approved_at.desc(), Product.id.desc())
             .limit(NEWEST_ON_HOME))
    products = db.session.scalars(query).unique().all()
    counts = dict(db.session.execute(
        select(Shop.district_code, func.count(Product.id)).select_from(Product).join(Product.shop)
        .where(Product.status == "approved", Shop.status == "active").group_by(Shop.district_code)).all())
    districts = [(code, name, counts.get(code, 0)) for code, name in home_districts()]
    return render_template("catalogue/home.html", products=products, categories=service.categories_tree(),
                           districts=districts)
