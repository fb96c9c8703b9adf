"""Drawn stand-ins for producers' photos: one recognisable subject per category (honey bottles by a honeycomb,
curly amplang in a clear pouch, palm sugar cylinders, a kraft coffee bag with beans, woven cloth, rattan
baskets, cinnamon sticks...), each product arranged, coloured and lit its own way from a seed of its title."""
import hashlib
import random

from .containers import packet_only
from .crafts import cloth, weaving
from .drawing import Scene
from .food import chips, coffee, dodol, honey, sugar
from .produce import cinnamon, fish_products, spices, tea

SUBJECTS = {
    "madu": honey,
    "kerupuk-amplang": chips,
    "keripik": chips,
    "gula-pemanis": sugar,
    "kopi": coffee,
    "kue-dodol": dodol,
    "abon-olahan-ikan": fish_products,
    "kain-tenun": cloth,
    "anyaman": weaving,
    "bumbu-rempah": spices,
    "teh-herbal": tea,
    "hasil-hutan-kebun": cinnamon,
}


def demo_photo(title, category_slug, size=800):
    """JPEG bytes of a square drawn photo of the product: the same title always gives the same picture."""
    rng = random.Random(hashlib.sha256(f"{category_slug}:{title}".encode()).digest())
    scene = Scene(rng, size)
    SUBJECTS.get(category_slug, packet_only)(scene, title.lower())
    return scene.finish()
