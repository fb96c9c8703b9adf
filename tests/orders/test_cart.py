"""Cart rules: the same for the session cart and the account cart; hostile input changes nothing."""
import pytest

from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.orders import cart
from marketplace.orders.models import MAX_QUANTITY


@pytest.fixture(params=["session", "account"])
def basket(request, make_user):
    """Each rule is checked on both kinds of cart."""
    if request.param == "session":
        return cart.SessionCart({})
    return cart.AccountCart(make_user())


def test_add_and_add_again_sums_with_price_from_the_database(basket, make_product):
    product = make_product(price_idr=30000, stock=10)
    cart.add_to_cart(basket, str(product.id), "2")
    cart.add_to_cart(basket, f" {product.id} ", " 3 ")
    assert basket.lines() == {product.id: (5, 30000)}


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "2,0", "1e3", "abc", "", "  ", None, "0x10", "+2", "½",
                                      "١", "1001", "99999999999999999999", "9" * 10_000, ["1"], True])
def test_hostile_quantities_change_nothing(basket, make_product, quantity):
    product = make_product(stock=2000)
    cart.add_to_cart(basket, str(product.id), "1")
    with pytest.raises(InvalidInput) as refused:
        cart.add_to_cart(basket, str(product.id), quantity)
    assert refused.value.field == "quantity" and refused.value.message
    with pytest.raises(InvalidInput):
        cart.set_quantity(basket, product.id, quantity)
    assert basket.lines() == {product.id: (1, product.price_idr)}


def test_more_than_in_stock_is_refused_with_what_is_left(basket, make_product):
    product = make_product(stock=3, title="Tas Anyaman Doyo")
    cart.add_to_cart(basket, str(product.id), "2")
    with pytest.raises(InvalidInput) as refused:
        cart.add_to_cart(basket, str(product.id), "2")
    assert "Tas Anyaman Doyo" in refused.value.message and "3" in refused.value.message
    with pytest.raises(InvalidInput):
        cart.set_quantity(basket, product.id, "4")
    assert basket.lines()[product.id][0] == 2


def test_more_than_a_thousand_is_refused_even_with_stock(basket, make_product):
    product = make_product(stock=5000)
    cart.add_to_cart(basket, str(product.id), str(MAX_QUANTITY))
    with pytest.raises(InvalidInput):
        cart.add_to_cart(basket, str(product.id), "1")
    assert basket.lines()[product.id][0] == MAX_QUANTITY


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "archived"])
def test_products_not_for_sale_cannot_be_added(basket, make_product, status):
    product = make_product(status=status)  # someone else's draft, say
    with pytest.raises(InvalidInput) as refused:
        cart.add_to_cart(basket, str(product.id), "1")
    assert refused.value.field == "product_id"
    assert basket.lines() == {}


def test_sold_out_and_unknown_and_garbage_ids_cannot_be_added(basket, make_product):
    sold_out = make_product(stock=0)
    for product_id in (str(sold_out.id), "999999999", "0", "-1", "1.0", "abc", "", None, "9" * 400, "1 OR 1=1"):
        with pytest.raises(InvalidInput):
            cart.add_to_cart(basket, product_id, "1")
    assert basket.lines() == {}


def test_set_quantity_and_remove(basket, make_product):
    product = make_product(stock=10)
    cart.add_to_cart(basket, str(product.id), "1")
    cart.set_quantity(basket, product.id, "4")
    assert basket.lines()[product.id][0] == 4
    with pytest.raises(InvalidInput):
        cart.set_quantity(basket, product.id + 1000, "1")  # not in the cart
    cart.remove_from_cart(basket, product.id)
    cart.remove_from_cart(basket, product.id)  # twice is harmless
    assert basket.lines() == {}


def test_cart_has_a_size_limit(make_product, monkeypatch):
    basket = cart.SessionCart({})
    monkeypatch.setattr(basket, "max_lines", 2)
    products = [make_product() for _ in range(3)]
    for product in products[:2]:
        cart.add_to_cart(basket, str(product.id), "1")
    with pytest.raises(InvalidInput):
        cart.add_to_cart(basket, str(products[2].id), "1")
    assert len(basket.lines()) == 2


def test_view_groups_by_shop_and_shows_changes_since_added(basket, make_product, make_shop, make_user, place):
    from marketplace.moderation import service as moderation

    shop_a, shop_b = make_shop(name="Amplang Anggana"), make_shop(name="Madu Loa Kulu")
    cheaper = make_product(shop=shop_a, price_idr=30000, stock=5)
    dearer = make_product(shop=shop_a, price_idr=20000, stock=5)
    gone = make_product(shop=shop_b, stock=5)
    short = make_product(shop=shop_b, stock=5)
    for product, quantity in ((cheaper, 1), (dearer, 2), (gone, 1), (short, 4)):
        cart.add_to_cart(basket, str(product.id), str(quantity))
    cheaper.price_idr, dearer.price_idr = 25000, 22000
    place(make_user(), (short, 2))  # another buyer leaves 3
    moderation.unpublish_product(gone, make_user("admin"), "Foto tidak sesuai dengan produk")
    db.session.commit()

    view = cart.view_cart(basket)
    assert [group.shop.name for group in view.groups] == ["Amplang Anggana", "Madu Loa Kulu"]
    lines = {line.product.id: line for group in view.groups for line in group.lines}
    assert lines[cheaper.id].price_change == "cheaper" and lines[cheaper.id].unit_price_idr == 25000
    assert lines[dearer.id].price_change == "dearer" and lines[dearer.id].line_total_idr == 44000
    assert lines[gone.id].unavailable and lines[short.id].short and view.has_problems
    assert view.groups[0].items_total_idr == 25000 + 44000
    assert view.groups[1].items_total_idr == 4 * short.price_idr  # the unavailable line does not count


def test_malformed_session_cart_is_ignored(make_product):
    product = make_product()
    basket = cart.SessionCart({"cart": {"x": [1, 2], str(product.id): [2, 50000], "7": "junk", "8": [None, 1]}})
    assert basket.lines() == {product.id: (2, 50000)}
    assert cart.SessionCart({"cart": ["not", "a", "dict"]}).lines() == {}


def test_visitor_cart_joins_account_cart_keeping_the_larger_quantity(make_product, make_user):
    user = make_user()
    both, only_visitor, only_account = make_product(), make_product(), make_product()
    account = cart.AccountCart(user)
    cart.add_to_cart(account, str(both.id), "1")
    cart.add_to_cart(account, str(only_account.id), "4")
    session = {}
    visitor = cart.SessionCart(session)
    cart.add_to_cart(visitor, str(both.id), "3")
    cart.add_to_cart(visitor, str(only_visitor.id), "2")
    cart.merge_visitor_cart(session, user)
    db.session.commit()
    lines = account.lines()
    assert {pid: qty for pid, (qty, _price) in lines.items()} == {both.id: 3, only_visitor.id: 2,
                                                                 only_account.id: 4}
    assert "cart" not in session
    cart.merge_visitor_cart(session, user)  # nothing left to merge
    assert len(account.lines()) == 3


def test_preview_shows_the_join_without_writing(make_product, make_user):
    user = make_user()
    both, only_visitor = make_product(), make_product()
    cart.add_to_cart(cart.AccountCart(user), str(both.id), "2")
    session = {}
    cart.add_to_cart(cart.SessionCart(session), str(both.id), "1")
    cart.add_to_cart(cart.SessionCart(session), str(only_visitor.id), "3")
    db.session.commit()
    preview = cart.PreviewCart(session, user).lines()
    assert {pid: qty for pid, (qty, _price) in preview.items()} == {both.id: 2, only_visitor.id: 3}
    assert set(cart.AccountCart(user).lines()) == {both.id} and session["cart"]  # nothing written yet
    cart.merge_visitor_cart(session, user)
    assert cart.AccountCart(user).lines() == preview


def test_joined_lines_respect_the_limits():
    joined = cart.joined_lines({1: (5, 100)}, {1: (3, 90), 2: (0, 10), 3: (1001, 10), 4: (2, 10), 5: (1, 10)},
                               max_lines=2)
    assert joined == {1: (5, 100), 4: (2, 10)}
