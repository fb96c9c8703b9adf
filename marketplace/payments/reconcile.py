"""Money held per receiving account: the ledger against what the payments and the statement imports say.

Connected to the ledger's `checking` signal, so `flask ledger check` (cron) and the tests run it. For every held
account except Stripe's (reconciled with Stripe itself), that is `held:bank-<id>` for each receiving account, and
`held:bank` / `held:qris` for transfer and QRIS money settled before payments named their account (unassigned):

    ledger balance of H
      = the received_idr of every transfer and QRIS payment held in H whose money the ledger booked (state paid,
        refund_owed or refunded, received_idr > 0; held in H: payment.receiving_account_id names it, else the
        method's unassigned account)
      - the amount_idr of every buyer_refund recorded as paid from H (buyer_refund.held = H)
      - the amount_idr of every payout in state paid of a batch whose source is H (payout_batch.source = H)

and every statement line of receiving account N that settled a payment or found money owed back (outcome settled
or refund_owed) names a payment held in N that received exactly the line's amount. Together: the money in N is
what N's statement lines settled or owed, plus what an admin confirmed into N without a line, less the refunds and
payouts paid from N. (A line that settled a payment before payments named their account, receiving_account_id
None, is unassigned money and not compared with its line.)
"""
from sqlalchemy import func, or_, select

from ..extensions import db
from ..ledger.models_payouts import Payout, PayoutBatch
from ..ledger.queries import held_balances
from ..ledger.service import held_account
from .models import TRANSFER_METHODS, Payment, ReceivingAccount, StatementLine
from .models_refunds import BuyerRefund
from .settle import HELD_ACCOUNTS, held_account_of

BOOKED_STATES = ("paid", "refund_owed", "refunded")
LINE_OUTCOMES = ("settled", "refund_owed")


def expected_held():
    """{held account code: the balance the payments, refunds and payouts say it has} (Stripe's left out)."""
    expected = {}
    rows = db.session.execute(select(Payment.method, Payment.receiving_account_id, func.sum(Payment.received_idr))
                              .where(Payment.method.in_(TRANSFER_METHODS), Payment.state.in_(BOOKED_STATES),
                                     Payment.received_idr > 0)
                              .group_by(Payment.method, Payment.receiving_account_id))
    for method, account_id, total in rows:
        code = held_account_of(method, account_id)
        expected[code] = expected.get(code, 0) + int(total)
    for code, total in db.session.execute(select(BuyerRefund.held, func.sum(BuyerRefund.amount_idr))
                                          .group_by(BuyerRefund.held)):
        expected[code] = expected.get(code, 0) - int(total)
    for code, total in db.session.execute(select(PayoutBatch.source, func.sum(Payout.amount_idr))
                                          .join(Payout, Payout.batch_id == PayoutBatch.id)
                                          .where(Payout.state == "paid").group_by(PayoutBatch.source)):
        expected[code] = expected.get(code, 0) - int(total)
    expected.pop(HELD_ACCOUNTS["stripe"], None)
    return expected


def problems(_sender=None):
    """Held accounts whose ledger balance is not what payments, refunds and payouts say, and statement lines whose
    payment is held in another account or received another amount."""
    expected = expected_held()
    ledger = {code: total for code, total in held_balances() if code != HELD_ACCOUNTS["stripe"]}
    found = [f"{code}: the ledger holds {ledger.get(code, 0)}, payments, refunds and payouts say "
             f"{expected.get(code, 0)}" for code in sorted(set(expected) | set(ledger))
             if ledger.get(code, 0) != expected.get(code, 0)]
    lines = db.session.execute(
        select(StatementLine.id, StatementLine.account_id, StatementLine.amount_idr, Payment.id,
               Payment.receiving_account_id, Payment.received_idr)
        .outerjoin(Payment, Payment.id == StatementLine.payment_id)
        .where(StatementLine.outcome.in_(LINE_OUTCOMES),
               or_(Payment.id.is_(None), Payment.receiving_account_id != StatementLine.account_id,
                   Payment.received_idr.is_(None), Payment.received_idr != StatementLine.amount_idr)))
    for line_id, account_id, amount, payment_id, held_in, received in lines:
        found.append(f"statement line {line_id} of account {account_id} ({amount}): payment {payment_id} "
                     f"held in account {held_in}, received {received}")
    return found


def held_names(_sender=None):
    """{held:bank-<id>: bank and number} of every receiving account, for the finance and payout pages."""
    return {held_account(f"bank-{account.id}"): f"{account.bank} {account.account_number}"
            for account in db.session.scalars(select(ReceivingAccount).order_by(ReceivingAccount.id))}
