"""Bulk import of a shop's listings from a spreadsheet saved as CSV (`flask catalogue import`).

Columns: title,description,category,price_idr,stock,unit,weight_g,photos. Every row is imported in its
own savepoint, so a bad row is refused with its line number and reason and never stops the good ones.
A row whose title (any case) matches a listing of the shop updates that listing instead of adding a
second one, so running the same file twice changes nothing the second time.
"""
import csv
import io
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..text import CONTROL, one_line
from ..moderation import service as moderation
from ..text import parse_whole_number
from . import edits, service
from .models import MAX_PHOTOS, Category, Product, ProductEdit

COLUMNS = ("title", "description", "category", "price_idr", "stock", "unit", "weight_g", "photos")
REQUIRED = ("title", "category", "price_idr", "stock")
MAX_FILE_BYTES = 20 * 1024 * 1024
# The service's field names, as the file's columns call them.
_COLUMN_OF_FIELD = {"category_id": "category", "photo": "photos"}
# Weights as spreadsheets write them: 350, 350 g, 350 gram (numbers are parsed by text.parse_whole_number)
_GRAMS = re.compile(r"(.*?)\s*(?:g|gr|gram)?", re.IGNORECASE)
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


@dataclass
class Record:
    """One row of the file: its first line number and values by column, or why it could not be read."""

    line: int
    values: dict = field(default_factory=dict)
    problem: str = ""


@dataclass
class RowResult:
    """What happened to one row: 'created', 'updated', 'unchanged' or 'refused' (with the reason)."""

    line: int
    title: str
    action: str
    reason: str = ""
    status: str = ""
    photos: int = 0
    product_id: int | None = None


@dataclass
class ImportJob:
    """One import run: the shop, the options, and what it has learnt so far."""

    shop: object
    storage: object
    photos_dir: Path | None = None
    approve: bool = False
    categories: dict = field(default_factory=dict)
    existing: dict = field(default_factory=dict)


def _decode(data):
    """Text of the file; bytes that are not UTF-8 stay marked (surrogates) so their rows can be refused."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            # Excel's "Unicode text" export.
            return data.decode("utf-16", errors="surrogateescape")
        return data.decode("utf-8-sig", errors="surrogateescape")
    except UnicodeError as error:
        raise InvalidInput(_("Berkas ini bukan teks CSV.")) from error


def _shown(text, limit=80):
    """User text made safe to print in a report: one line, no control characters (no terminal tricks)."""
    return " ".join(CONTROL.sub(" ", text).split())[:limit]


def _header(first_line):
    """(delimiter, column names): comma, semicolon (Indonesian-locale Excel) or tab, whichever names most columns."""
    best = None
    for delimiter in (",", ";", "\t"):
        row = next(csv.reader([first_line], delimiter=delimiter))
        names = [name.strip().strip("\ufeff").lower() for name in row]
        score = sum(name in COLUMNS for name in names)
        if best is None or score > best[0]:
            best = (score, delimiter, names)
    return best[1], best[2]


def _check_header(names):
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise InvalidInput(_("Baris pertama harus berisi judul kolom: %(columns)s. "
                                "Tidak ditemukan: %(missing)s.", columns=",".join(COLUMNS), missing=", ".join(missing)))
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        raise InvalidInput(_("Kolom ganda: %(columns)s.", columns=", ".join(duplicated)))


def read_csv(data):
    """The file's rows as Records (line numbers as a spreadsheet shows them); InvalidInput if it is not a file of listings."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(_("Berkas terlalu besar: paling besar %(mb)d MB.",
                                mb=MAX_FILE_BYTES // (1024 * 1024)))
    text = _decode(data)
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    if not first_line.strip():
        raise InvalidInput(_("Berkas kosong atau baris pertamanya kosong."))
    delimiter, names = _header(first_line)
    _check_header(names)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    records = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return records
        except csv.Error:
            records.append(Record(line, problem=_("Baris tidak dapat dibaca (isian terlalu panjang atau tanda kutip "
                                                  "tidak tertutup).")))
            continue
        record = _record(line, names, values)
        if record is not None:
            records.append(record)


def _record(line, names, values):
    """A Record for one parsed row; None for a blank row (spreadsheets leave many at the end)."""
    if not any(value.strip() for value in values):
        return None
    if len(values) > len(names):
        return Record(line, problem=_("Isian lebih banyak daripada kolom. Beri tanda kutip pada isian yang "
                                      "memuat koma atau titik koma."))
    if any(_NOT_UTF8.search(value) for value in values):
        return Record(line, problem=_("Baris ini memuat huruf yang bukan UTF-8. Simpan berkas sebagai "
                                      "\"CSV UTF-8\" lalu coba lagi."))
    values = dict(zip(names, values + [""] * (len(names) - len(values))))
    return Record(line, values={name: values.get(name, "") for name in COLUMNS})


def _key(title):
    return one_line(title).casefold()


def start_import(shop, storage, photos_dir=None, approve=False):
    """An ImportJob for the shop: categories and the shop's current listings read once."""
    job = ImportJob(shop=shop, storage=storage, approve=approve,
                    photos_dir=Path(photos_dir).resolve() if photos_dir else None)
    # The Category objects themselves stay referenced: the session then finds them in its identity map
    # when the catalogue's validation looks a category up, instead of asking the database for every row.
    for category in db.session.scalars(select(Category)):
        job.categories[category.slug.casefold()] = category
        job.categories.setdefault(category.name_id.casefold(), category)
    # Read once with their photos, oldest first so that when titles repeat the newest listing wins:
    # re-running a big file then costs no query per row to find what it updates.
    listings = db.session.scalars(select(Product).where(Product.shop_id == shop.id, Product.status != "archived")
                                  .options(selectinload(Product.images),
                                           selectinload(Product.pending_edit).selectinload(ProductEdit.images))
                                  .order_by(Product.id))
    for product in listings:
        job.existing[_key(edits.shown_to_producer(product).title)] = product
    return job


def import_record(job, record):
    """Import one Record; returns its RowResult. A refused row leaves nothing behind."""
    title = _shown(record.values.get("title", ""), 120)
    if record.problem:
        return RowResult(record.line, title, "refused", record.problem)
    try:
        return _import_values(job, record.line, record.values)
    except DomainError as error:
        column = _COLUMN_OF_FIELD.get(error.field, error.field)
        reason = f"{column}: {error.message}" if column else error.message
        return RowResult(record.line, title, "refused", reason)


def _import_values(job, line, values):
    existing = job.existing.get(_key(values["title"]))
    # Photos first, before the row touches the database: decoding takes seconds, and the caller commits
    # between rows, so no transaction (no SQLite write lock) is held meanwhile.
    batches = _store_photos(job, _photo_paths(job, values["photos"]))
    try:
        clean = _details(job, values, existing)
    except BaseException:
        for batch in batches:
            batch.discard()
        raise
    if not batches and _nothing_to_do(job, clean, existing):
        # The usual case when a file is run again: no savepoint, no flush.
        return RowResult(line, existing.title, "unchanged", status=existing.status,
                         photos=len(edits.shown_to_producer(existing).images), product_id=existing.id)
    try:
        with db.session.begin_nested():
            product, action = _save(job, clean, existing, [image for batch in batches for image in batch.images])
    except BaseException:
        # Files this row wrote serve nothing now; files that already existed are left alone.
        for batch in batches:
            batch.discard()
        raise
    shown = edits.shown_to_producer(product)
    job.existing[_key(shown.title)] = product
    # A new listing given no photos has none: not asking saves a query per row of a big file.
    photos = len(shown.images) if batches or existing is not None else 0
    return RowResult(line, shown.title, action, status=product.status, photos=photos, product_id=product.id)


def _whole(values, column, required=True):
    raw = values[column].strip()
    if column == "weight_g":
        raw = _GRAMS.fullmatch(raw).group(1)
    if not raw:
        if required:
            raise InvalidInput(_("Wajib diisi."), field=column)
        return 0
    try:
        number = parse_whole_number(raw, currency=column == "price_idr")
    except ValueError:
        number = -1
    if number < 0:
        raise InvalidInput(_("Tulis sebagai angka bulat, misalnya 25000."), field=column)
    return number


def _details(job, values, existing):
    """The row's listing details, validated by the catalogue's own rules."""
    category = " ".join(values["category"].split())
    found = job.categories.get(category.casefold())
    if found is None:
        raise InvalidInput(_("Kategori '%(name)s' tidak dikenal.", name=_shown(category, 60)), field="category")
    details = service.ProductDetails(
        title=values["title"], description=values["description"], category_id=found.id,
        price_idr=_whole(values, "price_idr"), stock=_whole(values, "stock"), unit=values["unit"],
        weight_g=_whole(values, "weight_g", required=False))
    if existing is not None:
        # The file has no regulation columns: keep the numbers the producer filled in on the site.
        for name in ("pirt_number", "bpom_number", "halal_number", "halal_expires_on"):
            setattr(details, name, getattr(edits.shown_to_producer(existing), name))
    return service.validate_details(details)


def _photo_paths(job, raw):
    """The row's photo files inside --photos; names that point anywhere else are refused."""
    names = [name.strip() for name in raw.split(";") if name.strip()]
    if not names:
        return []
    if job.photos_dir is None:
        raise InvalidInput(_("Sebutkan folder fotonya dengan --photos."), field="photos")
    if len(names) > MAX_PHOTOS:
        raise InvalidInput(_("Paling banyak %(n)d foto per produk.", n=MAX_PHOTOS), field="photos")
    paths = []
    for name in names:
        shown = _shown(name)
        if "\x00" in name or "\\" in name or name.startswith(".") or Path(name).name != name:
            raise InvalidInput(_("'%(name)s' harus nama berkas saja, tanpa folder.", name=shown), field="photos")
        path = job.photos_dir / name
        # A symbolic link could still lead out of the folder.
        if not path.resolve().is_relative_to(job.photos_dir) or not path.is_file():
            raise InvalidInput(_("Foto '%(name)s' tidak ada di folder foto.", name=shown), field="photos")
        paths.append(path)
    return paths


def _store_photos(job, paths):
    """Each photo through the media pipeline; on a bad one, the files already written go again."""
    batches = []
    try:
        for path in paths:
            with _opened(path) as upload:
                try:
                    batches.append(service.process_photos([upload], job.storage))
                except InvalidInput as error:
                    raise InvalidInput(f"{_shown(path.name)}: {error.message}", field="photos") from error
    except BaseException:
        for batch in batches:
            batch.discard()
        raise
    return batches


def _opened(path):
    """The photo file opened for reading; a file that cannot be read refuses its row, not the import."""
    try:
        return path.open("rb")
    except OSError as error:
        raise InvalidInput(_("Foto '%(name)s' tidak dapat dibaca.", name=_shown(path.name)), field="photos") from error


def _nothing_to_do(job, clean, existing):
    """True when the row says exactly what the listing already holds (and --approve has nothing to do)."""
    if existing is None or (job.approve and existing.status != "approved"):
        return False
    shown = edits.shown_to_producer(existing)
    return all(getattr(clean, f.name) == getattr(shown, f.name) for f in fields(service.ProductDetails))


def _state(product):
    shown = edits.shown_to_producer(product)
    return (tuple(getattr(shown, f.name) for f in fields(service.ProductDetails)), product.status,
            tuple(image.content_hash for image in shown.images))


def _save(job, clean, existing, images):
    """Create or update the listing, its photos and (with --approve) its status; returns it and the action."""
    if existing is None:
        product, before = service.create_product(job.shop, clean), None
    else:
        before = _state(existing)
        product = service.update_product(existing, clean)
    _replace_photos(product, images)
    _publish(job, product)
    action = "created" if before is None else ("unchanged" if _state(product) == before else "updated")
    return product, action


def _replace_photos(product, images):
    """The row's photos become the gallery, unless they already are it; no photos keeps the gallery."""
    hashes = list(dict.fromkeys(image.content_hash for image in images))
    if not hashes or hashes == [image.content_hash for image in edits.shown_to_producer(product).images]:
        return
    service.replace_photos(product, images)


def _publish(job, product):
    """With --approve: submit the listing and approve it as an automatic decision."""
    if not job.approve:
        return
    if product.status in ("draft", "rejected"):
        service.submit_product(product)
    if product.status == "pending":
        moderation.approve_product(product, None, automatic=True)
    elif product.pending_edit is not None:
        moderation.confirm_change(product, None, automatic=True)


def import_file(job, records, progress=None):
    """Import every record in order; returns the RowResults. `progress` is called after each row."""
    results = []
    for record in records:
        results.append(import_record(job, record))
        if progress is not None:
            progress(record)
    return results
