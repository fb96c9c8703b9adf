"""Demo data for the admin screens: listings waiting for review, an edited listing, a rejection, reports.

Call `seed(admin)` after the demo shops and their approved listings exist; everything goes through the
catalogue and moderation services, as a producer, a visitor and an admin would do it.
"""
import hashlib
from dataclasses import fields
from datetime import timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..catalogue import service as catalogue
from ..catalogue.demo_photos import demo_photo
from ..catalogue.models import Category, Product
from ..extensions import db
from ..media.service import process_upload
from ..media.storage import get_storage
from ..models_base import utcnow
from ..shops.models import Shop
from . import service

# (title, category slug, price, stock, unit, grams, description, P-IRT, days waiting)
PENDING = [
    ("Madu Kelulut Sarang Utuh", "madu", 180000, 6, "1 toples 300 g", 400,
     "Sarang kelulut utuh berisi madu dan bee bread, dipotong langsung dari log.", "", 3),
    ("Amplang Kepiting Rajungan", "kerupuk-amplang", 35000, 40, "200 g", 210,
     "Amplang dengan daging rajungan dari nelayan Muara Badak.", "206640201012345", 1),
    ("Teh Daun Bajakah", "teh-herbal", 45000, 20, "50 g", 60,
     "Teh akar bajakah, diklaim menyembuhkan segala penyakit.", "", 0),
]


def _visitor(number):
    """A stand-in for a visitor's hashed address (the real one is an HMAC of the address)."""
    return hashlib.sha256(f"demo-visitor-{number}".encode()).hexdigest()


def _details(product, **changes):
    current = {field.name: getattr(product, field.name) for field in fields(catalogue.ProductDetails)}
    return catalogue.ProductDetails(**{**current, **changes})


def _add_pending(shops):
    pending = []
    for index, (title, slug, price, stock, unit, grams, description, pirt, days) in enumerate(PENDING):
        category_id = db.session.scalar(select(Category.id).where(Category.slug == slug))
        product = catalogue.create_product(shops[index % len(shops)], catalogue.ProductDetails(
            title=title, description=description, category_id=category_id, price_idr=price, stock=stock,
            unit=unit, weight_g=grams, pirt_number=pirt))
        # Sent for review with a photo, as the listing form asks of a producer.
        catalogue.add_photo(product, process_upload(demo_photo(title, slug), get_storage()), alt_text=title)
        catalogue.submit_product(product)
        product.submitted_at = utcnow() - timedelta(days=days, hours=2 * index)
        pending.append(product)
    return pending


def seed(admin):
    """Give the admin screens something to show; returns what was added, by kind."""
    shops = db.session.scalars(select(Shop).where(Shop.status == "active").order_by(Shop.id).limit(4)).all()
    approved = db.session.scalars(select(Product).where(Product.status == "approved")
                                  .order_by(Product.id).limit(3)).all()
    if len(shops) < 3 or len(approved) < 3:
        raise RuntimeError("seed the demo shops and listings first")
    pending = _add_pending(shops[:3])
    service.reject_product(pending.pop(), admin, service.compose_reason(
        "other", "Klaim kesehatan tidak boleh dicantumkan. Hapus kalimat 'menyembuhkan segala penyakit'."))
    edited = approved[0]
    catalogue.update_product(edited, _details(edited, description=edited.description +
                                              "\n\nKini juga tersedia dalam kemasan hadiah."))
    buyer = db.session.scalar(select(User).where(User.role == "buyer").order_by(User.id).limit(1))
    reports = [
        service.file_report(reason="misleading", text="Foto botolnya beda dengan yang saya terima.",
                            address_hash=_visitor(1), product=approved[1]),
        service.file_report(reason="counterfeit", text="Rasanya seperti madu campuran gula.",
                            address_hash=_visitor(2), reporter=buyer, product=approved[1]),
        service.file_report(reason="scam", text="Sudah transfer, barang tidak dikirim.",
                            address_hash=_visitor(3), shop=shops[3] if len(shops) > 3 else shops[2]),
    ]
    service.set_trusted(shops[0], admin, True)
    db.session.flush()
    return {"pending": pending, "changed": [edited], "reports": reports}
