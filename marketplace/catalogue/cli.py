"""`flask catalogue ...` commands: seed the category tree, import a shop's listings from CSV."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..errors import InvalidInput
from ..extensions import db
from ..media.storage import get_storage
from ..shops.service import get_shop_by_slug
from . import importer
from .categories import ensure_categories

catalogue_cli = AppGroup("catalogue", help="Catalogue commands.")

ACTION_LABELS = {"created": "dibuat", "updated": "diperbarui", "unchanged": "tidak berubah", "refused": "DITOLAK"}
STATUS_LABELS = {"draft": "draf", "pending": "menunggu tinjauan", "approved": "disetujui", "rejected": "ditolak"}


@catalogue_cli.command("seed-categories")
def seed_categories_command():
    """Create the categories of the standard tree that are missing."""
    added = ensure_categories()
    db.session.commit()
    click.echo(f"{added} kategori ditambahkan.")


@catalogue_cli.command("import")
@click.argument("shop_slug")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--photos", "photos_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with the photo files named in the photos column.")
@click.option("--approve", is_flag=True, help="Publish the imported listings at once (automatic approval).")
def import_command(shop_slug, csv_file, photos_dir, approve):
    """Import or update a shop's listings from a CSV file."""
    shop = get_shop_by_slug(shop_slug)
    if shop is None:
        raise click.ClickException(f"Toko '{shop_slug}' tidak ditemukan.")
    try:
        records = importer.read_csv(csv_file.read_bytes())
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    job = importer.start_import(shop, get_storage(), photos_dir=photos_dir, approve=approve)
    # The bar goes to stderr so that the per-row report on stdout can be saved or piped.
    with click.progressbar(length=len(records), label="Mengimpor", show_pos=True,
                           file=sys.stderr) as bar:

        def row_done(_record):
            # Each row is its own transaction, so the next row's photos are decoded with none open.
            db.session.commit()
            bar.update(1)

        db.session.commit()
        results = importer.import_file(job, records, progress=row_done)
    db.session.commit()
    for result in results:
        click.echo(_describe(result))
    counts = {action: sum(result.action == action for result in results) for action in ACTION_LABELS}
    click.echo("Selesai: " + ", ".join(f"{counts[action]} {label.lower()}"
                                       for action, label in ACTION_LABELS.items()) + ".")


def _describe(result):
    label = ACTION_LABELS[result.action]
    if result.action == "refused":
        return f"baris {result.line}: {label}: {result.reason}"
    status = STATUS_LABELS.get(result.status, result.status)
    return f"baris {result.line}: {label} \"{result.title}\" ({status}, {result.photos} foto)"
