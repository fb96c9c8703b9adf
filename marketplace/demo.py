"""`flask seed-demo`: a believable marketplace for trying Pasar Desa out.

Every later feature adds its demo data here, through its own service functions.
"""
import io

import click
from PIL import Image, ImageDraw
from flask.cli import with_appcontext
from sqlalchemy import select

from . import regions
from .accounts import service as accounts
from .accounts.models import User
from .catalogue import service as catalogue
from .catalogue.categories import ensure_categories
from .catalogue.models import Category
from .extensions import db
from .ledger import demo as ledger_demo
from .media.service import process_upload
from .media.storage import get_storage
from .moderation import demo as moderation_demo
from .moderation import service as moderation
from .payments import demo as payments_demo
from .shops import service as shops

DEMO_PASSWORD = "pasardesa-demo"

# (shop name, district code, owner name, whatsapp, fee, pickup, story, [(title, category, price, stock, unit, g, description)])
PRODUCERS = [
    ("Madu Kelulut Loa Kulu", "64.02.02", "Ibu Sumiati", "0812 5501 0001", 15000, True,
     "Kami memelihara lebah kelulut (trigona) di pekarangan dan kebun karet.\n\nMadu dipanen sendiri, tanpa campuran.",
     [("Madu Kelulut Asli 250 ml", "madu", 125000, 30, "1 botol 250 ml", 350,
       "Madu kelulut (madu trigona) rasa asam manis, dipanen dari sarang di kebun karet."),
      ("Madu Kelulut 500 ml", "madu", 230000, 12, "1 botol 500 ml", 650,
       "Madu trigona murni dari Loa Kulu. Simpan di tempat sejuk.")]),
    ("Amplang Samarinda Seberang Anggana", "64.02.04", "Pak Rusdi", "0813 5502 0002", 12000, False,
     "Amplang ikan pipih dibuat tiap pagi dari ikan segar Sungai Mahakam.",
     [("Amplang Ikan Pipih Original", "kerupuk-amplang", 25000, 80, "250 g", 260,
       "Kerupuk ikan amplang renyah dari ikan pipih asli, tanpa pengawet."),
      ("Amplang Pedas Daun Jeruk", "kerupuk-amplang", 27000, 60, "250 g", 260,
       "Amplang rasa pedas dengan daun jeruk. Cocok untuk oleh-oleh.")]),
    ("Gula Aren Muara Badak", "64.02.05", "Pak Darmawan", "0852 5503 0003", 10000, True,
     "Nira aren dari pohon di tepi hutan, dimasak di tungku kayu.",
     [("Gula Aren Cetak", "gula-pemanis", 30000, 50, "1 kg", 1000,
       "Gula merah aren cetak batok, manis legit, tanpa campuran gula pasir."),
      ("Gula Semut Aren", "gula-pemanis", 35000, 40, "500 g", 520,
       "Gula semut dari nira aren, mudah larut untuk kopi dan kue.")]),
    ("Kopi Liberika Tenggarong Seberang", "64.02.16", "Mas Yoga", "0811 5504 0004", 12000, True,
     "Kopi liberika ditanam di bawah naungan pohon buah.",
     [("Kopi Liberika Bubuk", "kopi", 45000, 25, "200 g", 220,
       "Kopi liberika sangrai sedang, digiling halus. Aroma buah nangka."),
      ("Biji Kopi Liberika Sangrai", "kopi", 55000, 20, "250 g", 270,
       "Biji kopi sangrai untuk digiling sendiri.")]),
    ("Keripik Pisang Sebulu", "64.02.07", "Ibu Nurhayati", "0821 5505 0005", 9000, False,
     "Pisang kepok dari kebun sendiri, digoreng dengan minyak baru setiap hari.",
     [("Keripik Pisang Manis", "keripik", 18000, 70, "200 g", 210,
       "Keripik pisang kepok rasa manis gurih."),
      ("Keripik Pisang Balado", "keripik", 20000, 45, "200 g", 210,
       "Keripik pisang dengan bumbu balado pedas.")]),
    ("Lempok Durian Kota Bangun", "64.02.08", "Ibu Halimah", "0822 5506 0006", 15000, True,
     "Durian lokal dari kebun Kota Bangun diolah menjadi lempok.",
     [("Lempok Durian Asli", "kue-dodol", 60000, 15, "500 g", 520,
       "Lempok (dodol durian) dari durian lokal, dimasak berjam-jam tanpa pewarna.")]),
    ("Abon Ikan Muara Kaman", "64.02.11", "Pak Syahrani", "0853 5507 0007", 12000, False,
     "Ikan sungai segar diolah menjadi abon dengan bumbu turun-temurun.",
     [("Abon Ikan Haruan", "abon-olahan-ikan", 40000, 35, "150 g", 170,
       "Abon ikan haruan (gabus) gurih, cocok untuk lauk."),
      ("Ikan Asin Sepat", "abon-olahan-ikan", 30000, 40, "250 g", 260,
       "Ikan sepat asin dijemur matahari.")]),
    ("Tenun Ulap Doyo Tabang", "64.02.12", "Ibu Idah", "0812 5508 0008", 25000, False,
     "Kain ulap doyo ditenun dari serat daun doyo oleh perempuan Dayak Benuaq.",
     [("Kain Ulap Doyo Motif Naga", "kain-tenun", 850000, 3, "1 lembar 2 m", 600,
       "Tenun doyo (ulap doyo) dari serat daun doyo, pewarna alami."),
      ("Tas Anyaman Doyo", "anyaman", 175000, 8, "1 buah", 300,
       "Tas kecil dari anyaman serat doyo.")]),
    ("Kerupuk Udang Muara Jawa", "64.02.14", "Ibu Sarmini", "0813 5509 0009", 12000, True,
     "Kerupuk dari udang tangkapan nelayan Muara Jawa.",
     [("Kerupuk Udang Mentah", "kerupuk-amplang", 35000, 50, "500 g", 520,
       "Kerupuk udang mentah, tinggal goreng di rumah.")]),
    ("Rempah Samboja", "64.02.13", "Pak Jumadi", "0852 5510 0010", 9000, False,
     "Rempah dari kebun campur di Samboja.",
     [("Lada Hitam Butiran", "bumbu-rempah", 40000, 30, "100 g", 110,
       "Lada hitam kering dari kebun Samboja."),
      ("Jahe Merah Bubuk", "bumbu-rempah", 25000, 25, "100 g", 110,
       "Jahe merah kering digiling halus untuk minuman hangat.")]),
    ("Teh Herbal Muara Muntai", "64.02.01", "Ibu Rahmah", "0821 5511 0011", 9000, True,
     "Daun dan akar dari tepi danau diolah menjadi teh herbal.",
     [("Teh Daun Kelor", "teh-herbal", 22000, 40, "50 g", 60,
       "Daun kelor kering untuk diseduh.")]),
    ("Hasil Hutan Kembang Janggut", "64.02.10", "Pak Andreas", "0853 5512 0012", 20000, False,
     "Hasil hutan yang dikumpulkan secara lestari oleh warga desa.",
     [("Rotan Anyam Keranjang", "anyaman", 120000, 10, "1 buah", 800,
       "Keranjang rotan anyaman tangan."),
      ("Kayu Manis Batang", "hasil-hutan-kebun", 20000, 30, "100 g", 110,
       "Kayu manis kering dari hutan desa.")]),
]

BUYERS = [("Rina Wulandari", "rina@pasardesa.test"), ("Budi Santoso", "budi@pasardesa.test"),
          ("Sari Dewi", "sari@pasardesa.test")]


def seed_demo(password=DEMO_PASSWORD):
    """Fill an empty database with a demo marketplace; returns the accounts created."""
    ensure_categories()
    accounts_made = []
    admin = accounts.register_user(verified=True, email="admin@pasardesa.test", name="Admin Pasar Desa", phone="",
                                   password=password, role="admin")
    accounts_made.append(("admin", admin.email))
    for name, email in BUYERS:
        user = accounts.register_user(verified=True, email=email, name=name, phone="0812 0000 0000",
                                      password=password)
        accounts_made.append(("buyer", user.email))
    shops_made = []
    for number, producer in enumerate(PRODUCERS, start=1):
        user, shop = _seed_producer(number, producer, admin, password)
        accounts_made.append(("producer", user.email))
        shops_made.append(shop)
    moderation_demo.seed(admin)
    ledger_demo.seed(admin, shops_made)
    payments_demo.seed()
    return accounts_made


def _seed_producer(number, producer, admin, password):
    shop_name, district, owner_name, whatsapp, fee, pickup, story, products = producer
    user = accounts.register_user(email=f"produsen{number}@pasardesa.test", name=owner_name, phone=whatsapp,
                                  password=password, role="producer", verified=True)
    village = regions.children(district)[0][0]
    shop = shops.open_shop(user, shops.ShopDetails(
        name=shop_name, story=story, district_code=district, village_code=village, whatsapp=whatsapp,
        shipping_fee_idr=fee, pickup_allowed=pickup))
    for title, category_slug, price, stock, unit, grams, description in products:
        category = db.session.scalar(select(Category).where(Category.slug == category_slug))
        product = catalogue.create_product(shop, catalogue.ProductDetails(
            title=title, description=description, category_id=category.id, price_idr=price, stock=stock,
            unit=unit, weight_g=grams))
        catalogue.add_photo(product, process_upload(demo_photo(title), get_storage()), alt_text=title)
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)
    return user, shop


# A colour per first letter, so the demo grid is easy to tell apart.
_PALETTE = [(196, 140, 60), (120, 72, 30), (214, 178, 92), (92, 120, 60), (170, 60, 40), (60, 90, 130)]


def demo_photo(title, size=900):
    """A simple drawn picture (a jar on a shelf, lit from one side) standing in for a producer's photo."""
    base = _PALETTE[sum(map(ord, title)) % len(_PALETTE)]
    image = Image.new("RGB", (size, size), (238, 230, 214))
    draw = ImageDraw.Draw(image)
    for y in range(size // 2, size):  # a wooden shelf, darker towards the front
        shade = 150 - (y - size // 2) * 60 // size
        draw.line([(0, y), (size, y)], fill=(shade, shade * 3 // 4, shade // 2))
    draw.rounded_rectangle([size * 0.3, size * 0.25, size * 0.7, size * 0.8], radius=size // 12, fill=base)
    draw.rectangle([size * 0.35, size * 0.18, size * 0.65, size * 0.27], fill=(90, 60, 30))
    draw.rectangle([size * 0.36, size * 0.45, size * 0.64, size * 0.6], fill=(250, 246, 236))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def seed_demo_command(if_empty):
    """Fill the database with demo shops, goods and accounts."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        if if_empty:
            click.echo("The database already has data; demo data not added.")
            return
        raise click.ClickException("The database is not empty; demo data goes only into an empty one.")
    made = seed_demo()
    db.session.commit()
    click.echo("Demo marketplace ready. Accounts (password: %s):" % DEMO_PASSWORD)
    for role, email in made:
        click.echo(f"  {role:9} {email}")
