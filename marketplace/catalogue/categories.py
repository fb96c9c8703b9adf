"""The category tree every marketplace starts with."""
from sqlalchemy import select

from ..extensions import db
from .models import Category

# (slug, Indonesian name, English name, children)
CATEGORY_TREE = [
    ("makanan-olahan", "Makanan olahan", "Processed food", [
        ("kerupuk-amplang", "Kerupuk & amplang", "Crackers & amplang", []),
        ("keripik", "Keripik", "Chips", []),
        ("kue-dodol", "Kue & dodol", "Cakes & dodol", []),
        ("abon-olahan-ikan", "Abon & olahan ikan", "Floss & fish products", []),
    ]),
    ("minuman", "Minuman", "Drinks", [
        ("kopi", "Kopi", "Coffee", []),
        ("teh-herbal", "Teh & minuman herbal", "Tea & herbal drinks", []),
    ]),
    ("madu", "Madu", "Honey", []),
    ("gula-pemanis", "Gula & pemanis", "Sugar & sweeteners", []),
    ("bumbu-rempah", "Bumbu & rempah", "Spices & seasonings", []),
    ("hasil-hutan-kebun", "Hasil hutan & kebun", "Forest & garden produce", []),
    ("kerajinan", "Kerajinan", "Crafts", [
        ("anyaman", "Anyaman", "Weaving & basketry", []),
    ]),
    ("kain-tenun", "Kain & tenun", "Cloth & weaving", []),
]


def ensure_categories():
    """Create any category of the tree that is missing; returns how many were added."""
    existing = set(db.session.scalars(select(Category.slug)))
    added = 0

    def walk(nodes, parent):
        nonlocal added
        for position, (slug, name_id, name_en, children) in enumerate(nodes):
            category = db.session.scalar(select(Category).where(Category.slug == slug))
            if slug not in existing:
                category = Category(slug=slug, name_id=name_id, name_en=name_en, position=position,
                                    parent=parent)
                db.session.add(category)
                added += 1
            walk(children, category)

    walk(CATEGORY_TREE, None)
    db.session.flush()
    return added
