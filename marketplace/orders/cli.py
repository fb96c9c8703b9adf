"""`flask orders ...` commands."""
import click
import stripe
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..jobs import records_run
from ..payments import service as payments
from . import earnings, queries, service

orders_cli = AppGroup("orders", help="orders commands.")


@orders_cli.command("expire")
@click.option("--limit", default=200, show_default=True, help="Most orders handled in one run.")
@records_run("orders expire")
def expire_command(limit):
    """Give back the stock of unpaid orders past their payment window, and retry refunds; safe to run from cron."""
    overdue = [(order.id, order.code, order.stripe_session_id) for order in queries.overdue_orders(limit=limit)]
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


@orders_cli.command("auto-complete")
@click.option("--days", default=service.AUTO_COMPLETE_DAYS, show_default=True, type=click.IntRange(1, 365),
              help="Days after shipping before an unconfirmed order counts as received.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100000),
              help="Most orders completed in one run.")
@records_run("orders auto-complete")
def auto_complete_command(days, limit):
    """Complete shipped orders the buyer never confirmed; safe to run from cron (each is one conditional update)."""
    completed = service.auto_complete(days=days, limit=limit)
    db.session.commit()
    click.echo(f"{completed} shipped order(s) completed.")


@orders_cli.command("release-earnings")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100000),
              help="Most shop orders released in one run.")
@records_run("orders release-earnings")
def release_earnings_command(limit):
    """Move the earnings of parts completed PAYOUT_HOLD_DAYS ago from pending to available; safe to repeat
    (each release is recorded once per shop order)."""
    released = earnings.release_due(limit=limit)
    db.session.commit()
    click.echo(f"{released} shop order(s) released to available balances.")
