"""`flask orders expire` (on the orders group, so its name stays) and `flask payments import-statement`."""
import click
import stripe
from flask import current_app
from flask.cli import AppGroup

from ..errors import DomainError
from ..extensions import db
from ..orders import queries
from ..orders.cli import orders_cli
from . import service as payments
from ..jobs import records_run
from . import statement


@orders_cli.command("expire")
@click.option("--limit", default=200, show_default=True, help="Most orders handled in one run.")
@records_run("orders expire")
def expire_command(limit):
    """Give back the stock of unpaid orders past their payment window, and retry refunds; safe to run from cron."""
    overdue = [(order.id, order.code, payments.stripe_session_of(order))
               for order in queries.overdue_orders(limit=limit)]
    db.session.commit()  # no lock held while Stripe answers
    released = waiting = failed = 0
    for order_id, code, session_id in overdue:
        try:
            outcome = payments.close_session(session_id)
        except stripe.StripeError as error:
            failed += 1
            current_app.logger.warning("order %s: Stripe could not close the session: %s", code, error)
            continue
        # A session the buyer completed is left to its webhook: the payment may still arrive.
        if payments.cancel_unpaid(order_id, "expired", outcome):
            released += 1
        else:
            waiting += 1
        db.session.commit()
    refunded = _retry_refunds()
    click.echo(f"{len(overdue)} overdue: {released} released, {waiting} left to their webhook, {failed} failed; "
               f"{refunded} refunds made.")


def _retry_refunds():
    due, due_parts = payments.due_refunds(), payments.due_shop_refunds()
    db.session.commit()
    made = 0
    for refund_id, payment_intent in due:
        made += payments.make_refund(refund_id, payment_intent)
        db.session.commit()
    for shop_order_id, payment_intent, amount_idr in due_parts:
        made += payments.make_shop_refund(shop_order_id, payment_intent, amount_idr)
        db.session.commit()
    return made


payments_cli = AppGroup("payments", help="payments commands.")


@payments_cli.command("import-statement")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--account", "account_id", required=True, type=click.IntRange(1, 2147483647),
              help="The receiving account the statement belongs to.")
def import_statement_command(path, account_id):
    """Import a bank statement CSV: each credit is recorded once and settles the open transfer of its amount."""
    with open(path, "rb") as source:
        raw = source.read(statement.MAX_BYTES + 1)
    try:
        result = statement.import_statement(account_id, raw)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{result.settled} settled, {result.refund_owed} owed back, {result.unmatched} unmatched, "
               f"{result.already_imported} already imported.")
from . import cli_reminders as _cli_reminders  # noqa: E402,F401  (adds )
