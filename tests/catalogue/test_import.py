"""`flask catalogue import` and `seed-categories`: real CSV files, real photos, hostile files and rows."""
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from marketplace.catalogue import importer
from marketplace.catalogue.categories import CATEGORY_TREE
from marketplace.catalogue.models import Category, Product
from marketplace.extensions import db
from marketplace.media.service import master_key
from marketplace.media.storage import get_storage
from marketplace.moderation.models import ModerationDecision
from tests.shops.images import gif_bytes, jpeg_bytes, media_files

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shop(make_shop):
    return make_shop(name="Toko Impor")


@pytest.fixture
def photos(tmp_path):
    """A folder of real photos named as the fixture CSV files name them, plus an impostor."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, colour in (("merah.jpg", (200, 20, 20)), ("hijau.jpg", (20, 200, 20)), ("biru.jpg", (20, 20, 200))):
        (folder / name).write_bytes(jpeg_bytes((320, 240), colour))
    (folder / "palsu.jpg").write_bytes(gif_bytes())
    return folder


@pytest.fixture
def run_import(runner, shop):
    """run_import(csv_path, *options) -> click Result of `flask catalogue import <shop> <csv_path> ...`."""

    def run(csv_path, *options, shop_slug=None):
        return runner.invoke(args=["catalogue", "import", shop_slug or shop.slug, str(csv_path), *options])

    return run


def listings(shop):
    return {p.title: p for p in db.session.scalars(select(Product).where(Product.shop_id == shop.id))}


def report(result):
    """{line: report line} from the command's output."""
    return {int(m.group(1)): m.group(0) for m in re.finditer(r"^baris (\d+): .*$", result.output, re.M)}


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_import_creates_draft_listings_with_photos(run_import, shop, photos, app):
    result = run_import(FIXTURES / "listings.csv", "--photos", str(photos))
    assert result.exit_code == 0, result.output
    lines = report(result)
    # The first listing's description spans three lines: the next row starts on line 5.
    assert sorted(lines) == [2, 5, 6]
    assert 'baris 2: dibuat "Madu Kelulut Asli" (draf, 2 foto)' in lines[2]
    assert "Selesai: 3 dibuat, 0 diperbarui, 0 tidak berubah, 0 ditolak." in result.output
    found = listings(shop)
    honey, coffee, amplang = found["Madu Kelulut Asli"], found["Kopi Liberika Bubuk"], found["Amplang Ikan Pipih"]
    assert honey.description == "Madu trigona dari kebun karet, rasa asam manis.\n\nDipanen sendiri, tanpa campuran."
    assert (honey.price_idr, honey.stock, honey.unit, honey.weight_g) == (125000, 30, "1 botol 250 ml", 350)
    assert (coffee.category.slug, coffee.price_idr, coffee.weight_g) == ("kopi", 45000, 220)
    assert (amplang.category.slug, amplang.price_idr) == ("kerupuk-amplang", 25000)
    assert {p.status for p in found.values()} == {"draft"}
    assert [image.position for image in honey.images] == [0, 1] and len(amplang.images) == 1
    storage = get_storage()
    assert all(storage.exists(master_key(image.content_hash)) for image in honey.images)


def test_running_the_same_file_twice_updates_instead_of_duplicating(run_import, shop, photos, app):
    run_import(FIXTURES / "listings.csv", "--photos", str(photos))
    first = {title: (p.id, [i.content_hash for i in p.images]) for title, p in listings(shop).items()}
    files = media_files(Path(app.config["MEDIA_ROOT"]))
    again = run_import(FIXTURES / "listings.csv", "--photos", str(photos))
    assert again.exit_code == 0, again.output
    assert "Selesai: 0 dibuat, 0 diperbarui, 3 tidak berubah, 0 ditolak." in again.output
    db.session.expire_all()
    assert {title: (p.id, [i.content_hash for i in p.images]) for title, p in listings(shop).items()} == first
    assert media_files(Path(app.config["MEDIA_ROOT"])) == files


def test_changed_row_updates_the_listing_through_the_service(run_import, shop, photos, tmp_path):
    run_import(FIXTURES / "listings.csv", "--photos", str(photos), "--approve")
    honey = listings(shop)["Madu Kelulut Asli"]
    assert honey.status == "approved" and not honey.changed_since_approval
    text = (FIXTURES / "listings.csv").read_text(encoding="utf-8")
    text = text.replace("Madu Kelulut Asli,", "MADU KELULUT ASLI,").replace("125000,30", "130000,12")
    text = text.replace("merah.jpg;hijau.jpg", "biru.jpg")
    result = run_import(write(tmp_path, "changed.csv", text.encode()), "--photos", str(photos))
    assert 'baris 2: diperbarui "MADU KELULUT ASLI" (disetujui, 1 foto)' in report(result)[2]
    db.session.expire_all()
    found = listings(shop)
    assert len(found) == 3
    honey = found["Madu Kelulut Asli"]
    assert (honey.price_idr, honey.stock, honey.status) == (130000, 12, "approved")
    # Price and stock at once; the new title and photos wait for the admins, the public keeps the approved ones.
    assert honey.changed_since_approval and len(honey.images) == 2
    assert honey.pending_edit.title == "MADU KELULUT ASLI" and len(honey.pending_edit.images) == 1
    again = run_import(write(tmp_path, "changed.csv", text.encode()), "--photos", str(photos))
    assert 'baris 2: tidak berubah "MADU KELULUT ASLI"' in report(again)[2]


def test_approve_publishes_as_an_automatic_decision(run_import, shop, photos, client):
    result = run_import(FIXTURES / "listings.csv", "--photos", str(photos), "--approve")
    assert result.exit_code == 0, result.output
    assert "(disetujui, 2 foto)" in report(result)[2]
    products = listings(shop).values()
    assert {p.status for p in products} == {"approved"}
    decisions = db.session.scalars(select(ModerationDecision).where(
        ModerationDecision.product_id.in_([p.id for p in products]))).all()
    assert {(d.action, d.automatic, d.actor_id) for d in decisions} == {("approve", True, None)}
    assert "Madu Kelulut Asli" in client.get("/").get_data(as_text=True)
    again = run_import(FIXTURES / "listings.csv", "--photos", str(photos), "--approve")
    assert again.exit_code == 0 and "3 tidak berubah" in again.output


def test_approve_submits_a_rejected_listing_again(run_import, shop, make_product, photos):
    rejected = make_product(shop=shop, status="rejected", title="Kopi Liberika Bubuk", category="kopi")
    run_import(FIXTURES / "listings.csv", "--photos", str(photos), "--approve")
    db.session.expire_all()
    assert db.session.get(Product, rejected.id).status == "approved"
    assert len(listings(shop)) == 3


def test_update_keeps_the_regulation_numbers(run_import, shop, make_product, photos):
    product = make_product(shop=shop, title="Amplang Ikan Pipih", category="kerupuk-amplang",
                           pirt_number="206640201001227", halal_number="ID64110000123450123")
    result = run_import(FIXTURES / "listings.csv", "--photos", str(photos))
    assert "diperbarui \"Amplang Ikan Pipih\"" in report(result)[6]
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert (product.pirt_number, product.halal_number, product.price_idr) == (
        "206640201001227", "ID64110000123450123", 25000)


def test_an_archived_listing_is_not_revived(run_import, shop, make_product, photos):
    archived = make_product(shop=shop, status="archived", title="Kopi Liberika Bubuk", category="kopi")
    run_import(FIXTURES / "listings.csv", "--photos", str(photos))
    db.session.expire_all()
    assert db.session.get(Product, archived.id).status == "archived"
    titles = [p.title for p in db.session.scalars(select(Product).where(Product.shop_id == shop.id))]
    assert titles.count("Kopi Liberika Bubuk") == 2


def test_hostile_rows_are_refused_one_by_one(run_import, shop, photos, client):
    result = run_import(FIXTURES / "hostile.csv", "--photos", str(photos), "--approve")
    assert result.exit_code == 0, result.output
    lines = report(result)
    refused = {line for line, text in lines.items() if "DITOLAK" in text}
    assert refused == {4, 5, 6, 7, 8, 9, 10, 11, 12}
    assert "price_idr: Tulis sebagai angka bulat" in lines[4]
    assert "price_idr: Harga antara Rp1.000" in lines[5]
    assert "category: Kategori 'sembako' tidak dikenal" in lines[6]
    assert "photos: '../../etc/passwd' harus nama berkas saja" in lines[7]
    assert "photos: '/etc/passwd' harus nama berkas saja" in lines[8]
    assert "photos: Foto 'tidak-ada.jpg' tidak ada" in lines[9]
    assert "Isian lebih banyak daripada kolom" in lines[10]
    assert "stock: Wajib diisi" in lines[11]
    assert "title: Judul 3 sampai 120 karakter" in lines[12]
    found = listings(shop)
    assert set(found) == {"Madu Baik", "=CMD|' /C calc'!A0", "<script>alert(1)</script>", "Madu Baik Dua"}
    # Stored as the producer wrote it; it is text on the site, never a formula or markup.
    formula = found["=CMD|' /C calc'!A0"]
    assert formula.description == '=HYPERLINK("http://evil.example","klik")'
    page = client.get(f"/toko/{shop.slug}/{found['<script>alert(1)</script>'].slug}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;b&gt;tebal&lt;/b&gt;" in page


def test_a_bad_photo_refuses_its_row_and_leaves_no_file(run_import, shop, photos, tmp_path, app):
    csv_file = write(tmp_path, "bad.csv", b"title,category,price_idr,stock,photos\n"
                                          b"Madu Foto Palsu,madu,50000,1,merah.jpg;palsu.jpg\n"
                                          b"Madu Foto Baik,madu,50000,1,hijau.jpg\n")
    result = run_import(csv_file, "--photos", str(photos))
    lines = report(result)
    assert "DITOLAK: photos: palsu.jpg: Format foto tidak didukung" in lines[2]
    assert "dibuat \"Madu Foto Baik\"" in lines[3]
    assert set(listings(shop)) == {"Madu Foto Baik"}
    hashes = {image.content_hash for image in listings(shop)["Madu Foto Baik"].images}
    stored = media_files(Path(app.config["MEDIA_ROOT"]))
    assert stored and all(any(h in name for h in hashes) for name in stored)


def test_a_symbolic_link_out_of_the_photo_folder_is_refused(run_import, shop, photos, tmp_path):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(jpeg_bytes())
    (photos / "link.jpg").symlink_to(secret)
    csv_file = write(tmp_path, "link.csv", b"title,category,price_idr,stock,photos\nMadu Link,madu,50000,1,link.jpg\n")
    assert "photos: Foto 'link.jpg' tidak ada di folder foto" in report(run_import(csv_file, "--photos", str(photos)))[2]
    assert listings(shop) == {}


def test_photos_without_a_folder_are_refused(run_import, shop):
    result = run_import(FIXTURES / "listings.csv")
    lines = report(result)
    assert "photos: Sebutkan folder fotonya dengan --photos" in lines[2] and "dibuat" in lines[5]


@pytest.mark.parametrize("name, message", [("wrong_header.csv", "Tidak ditemukan: title, category, price_idr, stock"),
                                           ("missing_columns.csv", "Tidak ditemukan: category, stock")])
def test_a_file_without_the_right_header_changes_nothing(run_import, shop, name, message):
    result = run_import(FIXTURES / name)
    assert result.exit_code != 0
    assert message in result.output and "title,description,category,price_idr" in result.output
    assert listings(shop) == {}


@pytest.mark.parametrize("data, message", [
    (b"", "Berkas kosong"), (b"\n\ntitle,category\n", "Berkas kosong"),
    (b"title,title,category,price_idr,stock\n", "Kolom ganda: title"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "Tidak ditemukan"),
])
def test_files_that_are_not_listings_are_refused_whole(run_import, shop, tmp_path, data, message):
    result = run_import(write(tmp_path, "x.csv", data))
    assert result.exit_code != 0 and message in result.output
    assert listings(shop) == {}


def test_unknown_shop_is_refused(run_import):
    result = run_import(FIXTURES / "listings.csv", shop_slug="tidak-ada")
    assert result.exit_code != 0 and "Toko 'tidak-ada' tidak ditemukan" in result.output


def test_semicolons_bom_and_windows_line_ends(run_import, shop, tmp_path):
    data = b"\xef\xbb\xbf" + (FIXTURES / "excel_id.csv").read_bytes().replace(b"\n", b"\r\n")
    result = run_import(write(tmp_path, "excel.csv", data))
    assert result.exit_code == 0, result.output
    assert "Selesai: 2 dibuat" in result.output  # the row of empty cells is skipped
    found = listings(shop)
    assert found["Gula Aren Cetak"].description == "Manis legit, tanpa gula pasir"
    assert found["Gula Semut Aren"].description == "Mudah larut; untuk kopi"
    assert found["Gula Semut Aren"].price_idr == 35000


def test_utf16_export(run_import, shop, tmp_path):
    text = (FIXTURES / "listings.csv").read_text(encoding="utf-8").replace("\t", "")
    result = run_import(write(tmp_path, "utf16.csv", text.encode("utf-16")))
    assert "Kopi Liberika Bubuk" in listings(shop) and result.exit_code == 0


def test_a_row_with_bytes_that_are_not_utf8_is_refused_alone(run_import, shop, tmp_path):
    data = ("title,category,price_idr,stock\nMadu Baik,madu,50000,1\n".encode()
            + "Kopi Café,kopi,45000,1\n".encode("cp1252") + "Kopi Susu,kopi,45000,1\n".encode())
    lines = report(run_import(write(tmp_path, "mixed.csv", data)))
    assert "bukan UTF-8" in lines[3]
    assert set(listings(shop)) == {"Madu Baik", "Kopi Susu"}


def test_huge_fields_are_refused_alone(run_import, shop, tmp_path):
    data = ("title,description,category,price_idr,stock\n"
            f'Madu Raksasa,"{"x" * 200_000}",madu,50000,1\n'
            f"Madu Panjang,{'y' * 6000},madu,50000,1\n"
            "Madu Biasa,Enak,madu,50000,1\n").encode()
    result = run_import(write(tmp_path, "huge.csv", data))
    lines = report(result)
    assert "Baris tidak dapat dibaca" in lines[2]
    assert "description: Deskripsi paling panjang 5.000 karakter" in lines[3]
    assert set(listings(shop)) == {"Madu Biasa"}
    assert len(result.output) < 5000  # the report never echoes a huge field


def test_read_csv_line_numbers_and_blank_rows(app):
    data = b'title\tcategory\tprice_idr\tstock\n\nA\tmadu\t1000\t1\n"B\nC"\tmadu\t1000\t1\n\t\t\t\nD\tmadu\t1000\t1\n'
    records = importer.read_csv(data)
    assert [(r.line, r.values["title"]) for r in records] == [(3, "A"), (4, "B\nC"), (7, "D")]
    assert records[0].values["photos"] == "" and set(records[0].values) == set(importer.COLUMNS)


def test_a_big_file(app, shop):
    """2,000 rows here to keep the suite quick; 10,000 were measured the same way (see the importer's report)."""
    rows = 2_000
    lines = ["title,description,category,price_idr,stock,unit,weight_g,photos"]
    lines += [f"Produk nomor {n},Deskripsi {n},{('madu', 'kopi', 'Keripik')[n % 3]},{1000 + n},{n % 50},100 g,100,"
              for n in range(rows)]
    records = importer.read_csv("\n".join(lines).encode())
    started = time.perf_counter()
    results = importer.import_file(importer.start_import(shop, get_storage()), records)
    db.session.commit()
    elapsed = time.perf_counter() - started
    print(f"\n{rows} rows imported in {elapsed:.1f} s ({rows / elapsed:.0f} rows/s)")
    assert [r.action for r in results] == ["created"] * rows
    assert [r.line for r in results[:3]] == [2, 3, 4]
    assert db.session.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop.id)) == rows


def test_seed_categories_is_idempotent(runner, app):
    assert runner.invoke(args=["catalogue", "seed-categories"]).output.strip() == "0 kategori ditambahkan."
    db.session.execute(delete(Category).where(Category.slug == "anyaman"))
    db.session.commit()
    result = runner.invoke(args=["catalogue", "seed-categories"])
    assert result.exit_code == 0 and "1 kategori ditambahkan." in result.output
    total = len(CATEGORY_TREE) + sum(len(children) for *_rest, children in CATEGORY_TREE)
    assert db.session.scalar(select(func.count()).select_from(Category)) == total


def test_the_report_never_prints_control_characters(run_import, shop, tmp_path):
    data = ("title,category,price_idr,stock\n"
            "\x1b[2J\x1b[31mMadu Palsu,\x1b]0;judul\x07madu\u009b1m,50000,1\n").encode()
    result = run_import(write(tmp_path, "escape.csv", data))
    line = report(result)[2]
    assert "DITOLAK" in line and "Kategori '" in line
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.output)
