"""The cart: in the database for logged-in buyers, in the signed session for visitors; same rules for both.

Prices always come from the product table; a cart only remembers the price the buyer saw when adding,
to tell them when it became cheaper or dearer.
"""
import re
from dataclasses import dataclass, field
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..catalogue.models import Product
from ..driver_reads import driver_rows
from ..errors import InvalidInput
from ..extensions import db
from .models import MAX_QUANTITY, CartItem

SESSION_KEY = "cart"
# The cart cookie must stay far below the browsers' 4 KB limit.
MAX_SESSION_LINES = 30
MAX_ACCOUNT_LINES = 100
_WHOLE = re.compile(r"^[0-9]{1,9}$")


class SessionCart:
    """A visitor's cart in the signed session cookie: {"<product id>": [quantity, price seen]}."""

    max_lines = MAX_SESSION_LINES

    def __init__(self, session):
        self.session = session

    def lines(self):
        """{product_id: (quantity, price_seen_idr)}, skipping anything malformed."""
        raw = self.session.get(SESSION_KEY)
        lines = {}
        for key, value in (raw.items() if isinstance(raw, dict) else ()):
            try:
                quantity, price = (int(part) for part in value)
                lines[int(key)] = (quantity, price)
            except (TypeError, ValueError):
                continue
        return lines

    def put(self, product_id, quantity, price_seen_idr):
        """Set a line."""
        raw = dict(self.session.get(SESSION_KEY) or {})
        raw[str(product_id)] = [quantity, price_seen_idr]
        self.session[SESSION_KEY] = raw

    def drop(self, product_id):
        """Remove a line."""
        raw = dict(self.session.get(SESSION_KEY) or {})
        raw.pop(str(product_id), None)
        self.session[SESSION_KEY] = raw

    def clear(self):
        """Forget the whole cart."""
        self.session.pop(SESSION_KEY, None)


class AccountCart:
    """A logged-in buyer's cart, kept in cart_item rows so that it follows them between devices."""

    max_lines = MAX_ACCOUNT_LINES

    def __init__(self, user):
        self.user_id = user.id
        self._read = None  # {product_id: CartItem} as lines() last read them

    def _items(self):
        items = db.session.scalars(select(CartItem).where(CartItem.user_id == self.user_id)
                                   .order_by(CartItem.id)).all()
        self._read = {item.product_id: item for item in items}
        return items

    def lines(self):
        """{product_id: (quantity, price_seen_idr)}."""
        return {item.product_id: (item.quantity, item.price_seen_idr) for item in self._items()}

    def put(self, product_id, quantity, price_seen_idr):
        """Set a line (the one lines() just read, when it did: no second read of the same row)."""
        if self._read is not None:
            item = self._read.get(product_id)
        else:
            item = db.session.scalar(select(CartItem).where(CartItem.user_id == self.user_id,
                                                            CartItem.product_id == product_id))
        if item is None:
            item = CartItem(user_id=self.user_id, product_id=product_id)
            db.session.add(item)
            if self._read is not None:
                self._read[product_id] = item
        item.quantity, item.price_seen_idr = quantity, price_seen_idr
        db.session.flush()

    def drop(self, product_id):
        """Remove a line."""
        self._read = None
        db.session.execute(delete(CartItem).where(CartItem.user_id == self.user_id,
                                                  CartItem.product_id == product_id))

    def clear(self):
        """Empty the cart (after an order was placed)."""
        self._read = None
        db.session.execute(delete(CartItem).where(CartItem.user_id == self.user_id))


def parse_whole(raw, message, field_name):
    """A positive whole number typed by a person, or InvalidInput: no sign, no decimals, at most 9 digits."""
    text = raw.strip() if isinstance(raw, str) else ("" if raw is None or isinstance(raw, bool) else str(raw))
    if not _WHOLE.match(text):
        raise InvalidInput(message, field=field_name)
    return int(text)


def parse_quantity(raw):
    """A quantity between 1 and 1,000, or InvalidInput."""
    message = _("Jumlah harus bilangan bulat dari 1 sampai %(max)s.", max="1.000")
    quantity = parse_whole(raw, message, "quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(message, field="quantity")
    return quantity


def _purchasable(product_id):
    # With its shop, which is_purchasable asks about: one statement instead of two (read afresh even when the
    # session holds the product already, whose expired row would be reloaded without its shop).
    product = db.session.get(Product, product_id, options=[joinedload(Product.shop)], populate_existing=True)
    if product is None or not product.is_purchasable:
        raise InvalidInput(_("Produk ini tidak tersedia untuk dibeli."), field="product_id")
    return product


def _check_stock(product, quantity):
    if quantity > MAX_QUANTITY:
        raise InvalidInput(_("Paling banyak %(max)s per produk dalam satu pesanan.", max="1.000"), field="quantity")
    if quantity > product.stock:
        raise InvalidInput(_("Stok %(title)s tinggal %(n)d.", title=product.title, n=product.stock),
                           field="quantity")


def add_to_cart(cart, product_id_raw, quantity_raw):
    """Add a quantity of a purchasable product (on top of what is already in the cart); returns the product."""
    product_id = parse_whole(product_id_raw, _("Produk ini tidak tersedia untuk dibeli."), "product_id")
    quantity = parse_quantity(quantity_raw)
    product = _purchasable(product_id)
    lines = cart.lines()
    if product_id not in lines and len(lines) >= cart.max_lines:
        raise InvalidInput(_("Keranjang penuh: paling banyak %(n)d produk berbeda.", n=cart.max_lines))
    _check_stock(product, lines.get(product_id, (0, 0))[0] + quantity)
    cart.put(product_id, lines.get(product_id, (0, 0))[0] + quantity, product.price_idr)
    return product


def set_quantity(cart, product_id, quantity_raw):
    """Change the quantity of a line already in the cart."""
    lines = cart.lines()
    if product_id not in lines:
        raise InvalidInput(_("Produk ini tidak ada di keranjang."), field="product_id")
    quantity = parse_quantity(quantity_raw)
    _check_stock(_purchasable(product_id), quantity)
    cart.put(product_id, quantity, lines[product_id][1])


def remove_from_cart(cart, product_id):
    """Take a line out of the cart (nothing happens when it is not there)."""
    cart.drop(product_id)


def joined_lines(account_lines, visitor_lines, max_lines=MAX_ACCOUNT_LINES):
    """The account cart's lines once a visitor's cart has joined it: a product in both keeps the larger
    quantity; lines beyond the account's limit or with an impossible quantity are dropped."""
    joined = dict(account_lines)
    for product_id, (quantity, price_seen) in sorted(visitor_lines.items()):
        if product_id in joined and joined[product_id][0] >= quantity:
            continue
        if (product_id in joined or len(joined) < max_lines) and 1 <= quantity <= MAX_QUANTITY:
            joined[product_id] = (quantity, price_seen)
    return joined


def merge_visitor_cart(session, user):
    """After login: the visitor's cart joins the account cart (see joined_lines) and leaves the session."""
    visitor = SessionCart(session)
    account = AccountCart(user)
    existing = account.lines()
    for product_id, line in joined_lines(existing, visitor.lines()).items():
        if existing.get(product_id) != line and db.session.get(Product, product_id) is not None:
            account.put(product_id, *line)
    visitor.clear()


class PreviewCart:
    """What the account cart will hold once the visitor's cart joins it, read-only: page views (GET) write
    nothing, so a logged-in buyer with a cart left in the session sees it joined before any write happens."""

    max_lines = MAX_ACCOUNT_LINES

    def __init__(self, session, user):
        self.visitor, self.account = SessionCart(session), AccountCart(user)

    def lines(self):
        """The joined lines."""
        return joined_lines(self.account.lines(), self.visitor.lines())


def cart_size(cart):
    """How many pieces the cart holds (the number on the cart link)."""
    if isinstance(cart, AccountCart):
        session = db.session
        if session.new or session.dirty or session.deleted:  # flushed first, so that an added line counts
            return session.scalar(_cart_size_select(), {"user_id": cart.user_id})
        # Nothing to flush (every page but a cart change): the driver's cursor, several times cheaper.
        return driver_rows(session, _cart_size_select(), {"user_id": cart.user_id})[0][0]
    return sum(quantity for quantity, _price in cart.lines().values())


def cart_size_of_user():
    """A buyer's cart size as a scalar subquery correlated to User: read with the user in one statement
    (accounts.service.load_user_with) for a public page's header."""
    return _pieces_of(User.id).scalar_subquery()


@cache
def _cart_size_select():
    # Every page's header asks this of a logged-in buyer: built once (building it cost more than running it).
    return _pieces_of(bindparam("user_id"))


def _pieces_of(user_id):
    return select(func.coalesce(func.sum(CartItem.quantity), 0)).where(CartItem.user_id == user_id)


@dataclass
class CartLine:
    """One product in the cart as it stands now."""

    product: Product
    quantity: int
    price_seen_idr: int

    @property
    def unit_price_idr(self):
        """Today's price, from the product table."""
        return self.product.price_idr

    @property
    def line_total_idr(self):
        """Today's price times the quantity."""
        return self.unit_price_idr * self.quantity

    @property
    def unavailable(self):
        """No longer for sale (withdrawn, shop suspended, sold out)."""
        return not self.product.is_purchasable

    @property
    def short(self):
        """For sale, but fewer left than the cart asks for."""
        return not self.unavailable and self.product.stock < self.quantity

    @property
    def price_change(self):
        """'cheaper', 'dearer' or None since the buyer added it."""
        if self.unit_price_idr < self.price_seen_idr:
            return "cheaper"
        return "dearer" if self.unit_price_idr > self.price_seen_idr else None


@dataclass
class ShopGroup:
    """The cart lines of one shop, with its shipping fee and whether pickup is possible."""

    shop: object
    lines: list = field(default_factory=list)

    @property
    def items_total_idr(self):
        """Goods that can be bought now (unavailable lines do not count)."""
        return sum(line.line_total_idr for line in self.lines if not line.unavailable)


@dataclass
class CartView:
    """The cart grouped by shop, ready to show."""

    groups: list

    @property
    def is_empty(self):
        """No lines at all."""
        return not self.groups

    @property
    def has_problems(self):
        """Some line cannot be ordered as it is."""
        return any(line.unavailable or line.short for group in self.groups for line in group.lines)

    @property
    def items_total_idr(self):
        """Goods over every shop."""
        return sum(group.items_total_idr for group in self.groups)

    def shipping_idr(self, choices):
        """Shipping of the shops delivered to ({shop_id: "delivery" | "pickup"}), as place_order charges it."""
        return sum(group.shop.shipping_fee_idr for group in self.groups if choices.get(group.shop.id) != "pickup")


def view_cart(cart):
    """The cart's lines with today's products, grouped by shop (shops and lines in a stable order)."""
    lines = cart.lines()
    products = db.session.scalars(select(Product).where(Product.id.in_(lines))).all() if lines else []
    groups = {}
    for product in sorted(products, key=lambda p: (p.shop.name, p.shop_id, p.title, p.id)):
        quantity, price_seen = lines[product.id]
        group = groups.setdefault(product.shop_id, ShopGroup(shop=product.shop))
        group.lines.append(CartLine(product=product, quantity=quantity, price_seen_idr=price_seen))
    return CartView(groups=list(groups.values()))
