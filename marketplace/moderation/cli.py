"""`flask moderation ...`: the review queue from a terminal, for small deployments."""
import click
from flask.cli import AppGroup

from ..accounts.service import find_user_by_email
from ..extensions import db
from ..i18n import rupiah, wita
from . import queries, service

moderation_cli = AppGroup("moderation", help="Review queue and approvals.")


@moderation_cli.command("queue")
def queue_command():
    """Print the pending listings, the longest waiting first."""
    page, shown = 1, 0
    while True:
        pagination = queries.review_queue(page)
        for product in pagination.items:
            click.echo(f"{product.id:>6}  {wita(product.submitted_at)}  {product.shop.name} | {product.title} | "
                       f"{rupiah(product.price_idr)} | {product.category.name_id}")
            shown += 1
        if not pagination.has_next:
            break
        page += 1
    click.echo(f"{shown} listing(s) waiting for review." if shown else "The review queue is empty.")


@moderation_cli.command("approve")
@click.argument("product_ids", nargs=-1, required=True, type=click.IntRange(1, 2**31 - 1))
@click.option("--admin", "admin_email", required=True, help="Email of the admin who takes the decision.")
def approve_command(product_ids, admin_email):
    """Approve pending listings by id, through the same rules as the review screen."""
    admin = find_user_by_email(admin_email)
    if admin is None or not admin.is_admin:
        raise click.ClickException(f"{admin_email} is not an admin account.")
    approved, refused = service.approve_products(product_ids, admin)
    db.session.commit()
    titles, reasons = {product.id: product.title for product in approved}, dict(refused)
    for product_id in dict.fromkeys(product_ids):
        if product_id in titles:
            click.echo(f"{product_id}: approved ({titles[product_id]})")
        else:
            click.echo(f"{product_id}: not approved: {reasons[product_id]}", err=True)
    if refused:
        raise SystemExit(1)
