"""Money held per receiving account: a statement import books each account's credits in its own held account,
an admin's confirmation in the account named (or the first active one), refunds and payouts leave the account
they are paid from, and `flask ledger check` catches money booked in the wrong account."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger import check, payouts
from marketplace.ledger.service import balance, credit, debit, post
from marketplace.models_base import utcnow
from marketplace.orders import service as orders
from marketplace.payments import refunds, reconcile, statement, transfer
from marketplace.payments.models import Payment, ReceivingAccount
from marketplace.payments.settle import settle
from tests.conftest import Auth, csrf_token
from tests.orders.conftest import fill_cart, place  # noqa: F401 (fixtures shared with the order tests)
from tests.payments.transfer_helpers import methods_on

HEADER = "tanggal,keterangan,jumlah,jenis\n"


@pytest.fixture
def two_accounts(app):
    """Transfers and QRIS on, and two receiving accounts (BRI first, Mandiri second)."""
    first = methods_on()
    second = transfer.add_account("Mandiri", "1440 0123 4567", "PT Pasar Desa")
    db.session.commit()
    return first, second


@pytest.fixture
def transfer_of(place, make_user, make_product):
    """transfer_of(price, method): an order of one product with an open transfer (or QRIS) payment."""
    def make(price_idr=150_000, method="bank_transfer"):
        order = place(make_user(), (make_product(stock=3, price_idr=price_idr), 1))
        payment = transfer.start_transfer(order, method)
        db.session.commit()
        return order, payment
    return make


def _statement(*amounts):
    today = utcnow().date().isoformat()
    return (HEADER + "".join(f"{today},TRSF E-BANKING CR {n},{amount},CR\n"
                             for n, amount in enumerate(amounts))).encode()


def test_a_statement_import_on_two_accounts_books_each_in_its_own_held_account(two_accounts, transfer_of):
    first, second = two_accounts
    _o1, on_first = transfer_of(150_000)
    _o2, on_second = transfer_of(80_000, "qris")
    _o3, also_second = transfer_of(42_000)
    statement.import_statement(first.id, _statement(on_first.amount_idr))
    statement.import_statement(second.id, _statement(on_second.amount_idr, also_second.amount_idr))
    db.session.commit()
    assert [db.session.get(Payment, p.id, populate_existing=True).receiving_account_id
            for p in (on_first, on_second, also_second)] == [first.id, second.id, second.id]
    assert balance(f"held:bank-{first.id}") == on_first.amount_idr
    assert balance(f"held:bank-{second.id}") == on_second.amount_idr + also_second.amount_idr
    assert balance("held:bank") == balance("held:qris") == 0
    assert check.problems() == []


def test_a_late_credit_is_owed_back_from_the_account_it_arrived_in(two_accounts, transfer_of):
    _first, second = two_accounts
    order, payment = transfer_of()
    orders.release_order(order, "expired", utcnow())
    db.session.commit()
    assert statement.import_statement(second.id, _statement(payment.amount_idr)).refund_owed == 1
    db.session.commit()
    assert balance(f"held:bank-{second.id}") == balance("refunds_owed") == payment.amount_idr
    assert check.problems() == []


def test_an_admin_match_books_the_line_in_its_account(two_accounts, transfer_of, make_user):
    _first, second = two_accounts
    order, payment = transfer_of()
    statement.import_statement(second.id, _statement(payment.amount_idr + 1))  # a buyer who mistyped a digit
    [line] = statement.unmatched_lines()
    assert statement.match_line(line.id, order.code, make_user("admin")) == "mismatch"
    db.session.commit()
    assert balance(f"held:bank-{second.id}") == payment.amount_idr + 1
    assert check.problems() == []


@pytest.mark.parametrize("named", [False, True])
def test_an_admin_confirmation_books_the_named_account_or_the_first_active_one(two_accounts, transfer_of,
                                                                                make_user, named):
    first, second = two_accounts
    _order, payment = transfer_of()
    outcome = transfer.confirm_received(payment.id, "BRI 556677", admin=make_user("admin"),
                                        account_id=second.id if named else None)
    db.session.commit()
    assert outcome == "paid"
    expected = second if named else first
    assert balance(f"held:bank-{expected.id}") == payment.amount_idr
    assert check.problems() == []


def _mark_received(client, payment, **extra):
    token = csrf_token(client, "/admin/payments/transfers")
    return client.post(f"/admin/payments/transfers/{payment.id}/received",
                       data={"bank_reference": "BRI 0601 77", "csrf_token": token, **extra})


def test_the_admin_names_the_account_in_the_transfer_queue(client, two_accounts, transfer_of, make_user):
    first, second = two_accounts
    _order, payment = transfer_of()
    Auth(client).login(make_user("admin").email)
    queue = client.get("/admin/payments/transfers").get_data(as_text=True)
    assert f'<option value="{second.id}">Mandiri 1440 0123 4567</option>' in queue
    assert _mark_received(client, payment, account=str(second.id)).status_code == 302
    assert db.session.get(Payment, payment.id, populate_existing=True).state == "paid"
    assert (balance(f"held:bank-{second.id}"), balance(f"held:bank-{first.id}")) == (payment.amount_idr, 0)


@pytest.mark.parametrize("hostile", ["abc", "0", "-1", "2147483648", "9" * 400, "1 OR 1=1", "", "\x00"])
def test_a_hostile_account_in_the_transfer_queue_pays_nothing(client, two_accounts, transfer_of, make_user,
                                                              hostile):
    _order, payment = transfer_of()
    Auth(client).login(make_user("admin").email)
    assert _mark_received(client, payment, account=hostile).status_code in (302, 400)
    assert db.session.get(Payment, payment.id, populate_existing=True).state == "pending"
    assert balance("held:bank") == 0


def test_an_admin_confirmation_into_an_unknown_account_is_refused(two_accounts, transfer_of):
    _order, payment = transfer_of()
    with pytest.raises(Exception, match="Rekening tidak ditemukan"):
        transfer.confirm_received(payment.id, "BRI 556677", account_id=2**31 - 1)
    assert db.session.get(Payment, payment.id).state == "pending"


def test_with_no_account_registered_the_money_is_held_unassigned(app, transfer_of):
    methods_on()
    db.session.execute(sa.update(ReceivingAccount).values(active=False))
    _order, payment = transfer_of(method="qris")
    transfer.confirm_received(payment.id, "QRIS 1234")
    db.session.commit()
    assert balance("held:qris") == payment.amount_idr
    assert check.problems() == []


def test_money_settled_before_accounts_were_told_apart_stays_in_held_bank(two_accounts, transfer_of):
    _order, payment = transfer_of()
    assert settle(payment, payment.amount_idr, "mutasi lama") == "paid"  # as before this revision: no account
    db.session.commit()
    assert balance("held:bank") == payment.amount_idr
    assert reconcile.expected_held() == {"held:bank": payment.amount_idr}
    assert check.problems() == []


def test_the_check_catches_money_booked_in_the_wrong_account(two_accounts, transfer_of):
    first, second = two_accounts
    _order, payment = transfer_of()
    statement.import_statement(first.id, _statement(payment.amount_idr))
    db.session.commit()
    assert check.problems() == []
    # An entry that says the money went to the other account, as a bug or a hand-made fix would post it.
    post("correction", "wrong-account", [debit(f"held:bank-{second.id}", payment.amount_idr),
                                         credit(f"held:bank-{first.id}", payment.amount_idr)])
    assert check.problems() == [
        f"held:bank-{first.id}: the ledger holds 0, payments, refunds and payouts say {payment.amount_idr}",
        f"held:bank-{second.id}: the ledger holds {payment.amount_idr}, payments, refunds and payouts say 0"]
    db.session.rollback()


def test_the_check_catches_a_line_whose_payment_is_held_elsewhere(two_accounts, transfer_of):
    first, second = two_accounts
    _order, payment = transfer_of()
    statement.import_statement(first.id, _statement(payment.amount_idr))
    db.session.commit()
    db.session.execute(sa.update(Payment).where(Payment.id == payment.id).values(receiving_account_id=second.id))
    found = check.problems()
    assert any(problem.startswith("statement line ") and f"held in account {second.id}" in problem
               for problem in found)
    assert f"held:bank-{second.id}: the ledger holds 0, payments, refunds and payouts say " \
           f"{payment.amount_idr}" in found
    db.session.rollback()


def test_refunds_and_payouts_leave_the_account_they_are_paid_from(two_accounts, place, make_user, make_product,
                                                                  make_shop):
    _first, second = two_accounts
    kept, cancelled = make_product(stock=3, price_idr=100_000), make_product(stock=3, price_idr=40_000)
    order = place(make_user(), (kept, 1), (cancelled, 2))
    payment = transfer.start_transfer(order)
    db.session.commit()
    statement.import_statement(second.id, _statement(payment.amount_idr))
    held = f"held:bank-{second.id}"
    part = next(part for part in order.shop_orders if part.shop_id == cancelled.shop_id)
    orders.cancel_shop_order(part, part.shop.owner, "producer", "Stok rusak kena banjir")
    refunds.set_refund_account(order, "014", "1234567890", "Siti Aminah")
    [owed] = refunds.open_refunds()
    assert owed.held == held
    admin = make_user("admin")
    refunds.record_refund(owed.cause, admin, "BCA 7781", utcnow().date())
    assert balance(held) == payment.amount_idr - part.total_idr
    kept_part = next(part for part in order.shop_orders if part.shop_id == kept.shop_id)
    _complete_and_pay_out(kept_part, admin, held)
    share = kept_part.total_idr - kept_part.platform_fee_idr
    assert balance(held) == payment.amount_idr - part.total_idr - share
    db.session.commit()
    assert check.problems() == []


def _complete_and_pay_out(part, admin, source):
    """Ship and complete the part, release its earnings without waiting for the hold, pay them out from `source`."""
    from marketplace.orders import earnings

    orders.accept_shop_order(part, part.shop.owner)
    orders.ship_shop_order(part, part.shop.owner, "jne", "JP1234567890")
    orders.confirm_receipt(part, part.order.buyer)
    assert earnings.release_due(hold_days=0) == 1
    account = payouts.set_bank_account(part.shop, payouts.BankAccountDetails("014", "9876543210", "Budi"))
    payouts.review_bank_account(account.id, admin, approve=True)
    batch = payouts.create_batch(admin, source, now=utcnow() + timedelta(days=3), minimum=1)
    payouts.mark_paid(batch.payouts[0].id, "BRI 99")


def test_the_finance_overview_shows_each_account(client, two_accounts, transfer_of, make_user):
    first, second = two_accounts
    _o1, on_first = transfer_of(150_000)
    _o2, on_second = transfer_of(80_000)
    statement.import_statement(first.id, _statement(on_first.amount_idr))
    statement.import_statement(second.id, _statement(on_second.amount_idr))
    db.session.commit()
    Auth(client).login(make_user("admin").email)
    html = client.get("/admin/keuangan").get_data(as_text=True)
    for account, payment in ((first, on_first), (second, on_second)):
        row = html[html.index(f"{account.bank} {account.account_number} (bank-{account.id})"):]
        row = row[:row.index("</tr>")]
        assert f"Rp{payment.amount_idr:,}".replace(",", ".") in row
