"""`flask seed-demo`: a believable marketplace for trying Pasar Desa out.

Every later feature adds its demo data here, through its own service functions.
"""
import click
from flask.cli import with_appcontext
from sqlalchemy import select

from . import regions
from .accounts import service as accounts
from .accounts.models import User
from .catalogue import service as catalogue
from .catalogue.categories import ensure_categories
from .catalogue.demo_photos import demo_photo
from .catalogue.models import Category
from .extensions import db
from .ledger import demo as ledger_demo
from .media.service import process_upload
from .media.storage import get_storage
from .moderation import demo as moderation_demo
from .moderation import service as moderation
from .orders.address import Address, remember_address, validate_address
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
    ("Dodol Loa Janan", "64.02.03", "Ibu Masitah", "0812 5513 0013", 12000, True,
     "Dodol diaduk di kuali besar selama enam jam, resep keluarga sejak 1980-an.",
     [("Dodol Ketan Hitam", "kue-dodol", 35000, 30, "500 g", 520,
       "Dodol ketan hitam dengan santan kelapa dan gula aren."),
      ("Lempok Cempedak", "kue-dodol", 45000, 20, "400 g", 420,
       "Lempok dari buah cempedak matang, legit dan harum.")]),
    ("Galeri Ulap Doyo Tenggarong", "64.02.06", "Ibu Yuliana", "0813 5514 0014", 20000, True,
     "Kami menjual tenun doyo dari penenun di Tenggarong dan sekitarnya, dengan harga yang adil bagi penenun.",
     [("Selendang Ulap Doyo", "kain-tenun", 350000, 6, "1 lembar 180 cm", 250,
       "Selendang tenun doyo ringan, cocok untuk acara adat dan hadiah."),
      ("Kain Ulap Doyo Motif Tumpal", "kain-tenun", 780000, 2, "1 lembar 2 m", 600,
       "Kain tenun doyo dengan motif tumpal (segitiga berderet), pewarna akar dan kulit kayu.")]),
    ("Ikan Salai Kenohan", "64.02.09", "Pak Usman", "0852 5515 0015", 15000, False,
     "Ikan dari Danau Semayang diasap di atas bara kayu sampai kering.",
     [("Ikan Salai Baung", "abon-olahan-ikan", 65000, 25, "500 g", 520,
       "Ikan baung asap (salai), tahan lama tanpa lemari es."),
      ("Abon Ikan Patin", "abon-olahan-ikan", 45000, 30, "150 g", 170,
       "Abon ikan patin danau, gurih dan sedikit manis.")]),
    ("Keripik Singkong Sanga Sanga", "64.02.15", "Ibu Kartini", "0821 5516 0016", 9000, True,
     "Singkong dari ladang sendiri diiris tipis dan digoreng tiap pagi.",
     [("Keripik Singkong Pedas", "keripik", 15000, 60, "200 g", 210,
       "Keripik singkong tipis dengan bumbu cabai."),
      ("Keripik Singkong Original", "keripik", 13000, 60, "200 g", 210,
       "Keripik singkong gurih dengan sedikit garam.")]),
    ("Kerupuk Ikan Marang Kayu", "64.02.17", "Pak Baharuddin", "0853 5517 0017", 12000, False,
     "Ikan tenggiri dari nelayan Marang Kayu diolah menjadi kerupuk.",
     [("Kerupuk Ikan Tenggiri Mentah", "kerupuk-amplang", 40000, 40, "500 g", 520,
       "Kerupuk ikan tenggiri mentah, mekar besar saat digoreng.")]),
    ("Anyaman Purun Muara Wis", "64.02.18", "Ibu Fatimah", "0812 5518 0018", 18000, True,
     "Purun dari rawa Muara Wis dianyam oleh ibu-ibu desa di sela musim tanam.",
     [("Bakul Purun", "anyaman", 65000, 15, "1 buah", 400,
       "Bakul anyaman purun untuk beras atau belanja pasar."),
      ("Tikar Purun Lipat", "anyaman", 150000, 6, "1 lembar 2 x 1 m", 1500,
       "Tikar purun anyaman rapat, ringan dan sejuk.")]),
    ("Lada Kota Bangun Darat", "64.02.19", "Pak Saripudin", "0813 5519 0019", 9000, False,
     "Lada dan kemiri dari kebun campur, dijemur di halaman rumah.",
     [("Lada Putih Butiran", "bumbu-rempah", 55000, 25, "100 g", 110,
       "Lada putih direndam dan dikupas sendiri, pedas dan harum."),
      ("Kemiri Kupas", "bumbu-rempah", 30000, 40, "250 g", 260,
       "Kemiri kupas utuh untuk bumbu masakan.")]),
    ("Madu Hutan Samboja Barat", "64.02.20", "Pak Hendrik", "0852 5520 0020", 15000, True,
     "Madu lebah hutan dipanen dari pohon tinggi di tepi hutan Bukit Soeharto.",
     [("Madu Hutan Hitam 500 ml", "madu", 150000, 18, "1 botol 500 ml", 650,
       "Madu hutan berwarna gelap dengan rasa pahit manis yang khas.")]),
]

ADMIN = ("Admin Pasar Desa", "admin@pasardesa.test", "0811 5400 0100")

# (name, email, phone, street, district code, postal code): each buyer lives somewhere of their own.
BUYERS = [("Rina Wulandari", "rina@pasardesa.test", "0812 4401 2201", "Jl. Mulawarman No. 12 RT 04", "64.02.06",
           "75511"),
          ("Budi Santoso", "budi@pasardesa.test", "0813 4402 2202", "Jl. Poros Samarinda-Loa Janan km 8 RT 11",
           "64.02.03", "75391"),
          ("Sari Dewi", "sari@pasardesa.test", "0852 4403 2203", "Gang Melati No. 3, Jl. Jembatan Besi RT 02",
           "64.02.16", "75572")]


def seed_demo(password=DEMO_PASSWORD):
    """Fill an empty database with a demo marketplace; returns the accounts created."""
    ensure_categories()
    accounts_made = []
    admin_name, admin_email, admin_phone = ADMIN
    admin = accounts.register_user(verified=True, email=admin_email, name=admin_name, phone=admin_phone,
                                   password=password, role="admin")
    accounts_made.append(("admin", admin.email))
    buyers = []
    for name, email, phone, *_ in BUYERS:
        buyers.append(accounts.register_user(verified=True, email=email, name=name, phone=phone, password=password))
        accounts_made.append(("buyer", email))
    shops_made = []
    for number, producer in enumerate(PRODUCERS, start=1):
        user, shop = _seed_producer(number, producer, admin, password)
        accounts_made.append(("producer", user.email))
        shops_made.append(shop)
    moderation_demo.seed(admin)
    ledger_demo.seed(admin, shops_made)
    # Each buyer's own saved address, which their demo orders are sent to.
    for buyer, (_, _, phone, street, district, postal) in zip(buyers, BUYERS):
        remember_address(buyer, validate_address(Address(
            recipient_name=buyer.name, phone=phone, street=street, province_code="64", regency_code="64.02",
            district_code=district, village_code=regions.children(district)[1][0], postal_code=postal)))
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
        catalogue.add_photo(product, process_upload(demo_photo(title, category_slug), get_storage()), alt_text=title)
        catalogue.submit_product(product)
        moderation.approve_product(product, admin)
    return user, shop


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
