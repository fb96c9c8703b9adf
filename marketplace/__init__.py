"""Pasar Desa: a marketplace for the processed goods of village producers."""
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class PasarDesa(Flask):
    """Flask, remembering which functions are plain ones.

    Flask asks inspect whether each view, hook and context processor is a coroutine function every time it
    calls one, some 25 times per page; the answer never changes, so it is kept per function."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions = {}

    def ensure_sync(self, func):
        try:
            return self._sync_functions[func]
        except KeyError:
            sync = self._sync_functions[func] = super().ensure_sync(func)
            if len(self._sync_functions) > 10_000:  # functions are made once at start; a bound all the same
                self._sync_functions.clear()
            return sync
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def create_app(test_config=None):
    """Build the marketplace application."""
    # INSTANCE_PATH in test_config: the folder for the database, files and kept secrets (tests).
    app = PasarDesa(__name__, instance_relative_config=True, instance_path=(test_config or {}).get("INSTANCE_PATH"),
                template_folder=os.path.join(ROOT, "templates"), static_folder=os.path.join(ROOT, "static"))
    from .config import load_config

    load_config(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        forwarded_host = hops if app.config["TRUST_FORWARDED_HOST"] else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=forwarded_host)
    _import_models()
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _connect_signals()
    from .errors import register_error_handlers

    register_error_handlers(app)
    from .logs import configure_logging, install_request_ids

    configure_logging(app.config)
    install_request_ids(app)
    from . import metrics

    metrics.install(app)
    return app


def _import_models():
    """Every table, so that migrations and create_all() see the whole schema."""
    from .accounts import models as _accounts  # noqa: F401
    from .catalogue import models as _catalogue  # noqa: F401
    from . import idempotency as _idempotency  # noqa: F401
    from . import jobs as _jobs  # noqa: F401
    from .ledger import models as _ledger  # noqa: F401
    from .ledger import models_payouts as _payouts  # noqa: F401
    from .media import uploads as _uploads  # noqa: F401
    from .moderation import models as _moderation  # noqa: F401
    from .notifications import models as _notifications  # noqa: F401
    from .orders import models as _orders  # noqa: F401
    from .payments import models as _payments  # noqa: F401
    from .reviews import models as _reviews  # noqa: F401
    from .search import models as _search  # noqa: F401
    from .shops import models as _shops  # noqa: F401


def _init_extensions(app):
    from . import i18n
    from .csrf import CookielessSessionInterface
    from .database import configure_pool
    from .sqlite_writes import configure_sqlite
    from .media.limits import upload_limit
    from .media.urls import media_src, media_srcset, media_url
    from .orders.messaging import courier_name
    from .orders.views import load_user
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from . import links, static_files
    from .notifications import sending
    from .notifications.names import email_name
    from .security import add_security_headers

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        configure_pool(db.engine)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    app.session_interface = CookielessSessionInterface()
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories=os.path.join(HERE, "translations"),
                   default_timezone=app.config["DISPLAY_TIMEZONE"])
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.user_loader(load_user)
    i18n.init_i18n(app)
    app.add_template_global(media_url)
    app.add_template_global(media_srcset)
    app.add_template_global(media_src)
    app.add_template_global(courier_name)
    app.add_template_global(upload_limit)
    app.add_template_filter(email_name)
    app.after_request(add_security_headers)
    static_files.init_app(app)
    links.init_app(app)
    sending.install()


def _register_blueprints(app):
    from .accounts.views import bp as accounts_bp
    from .catalogue.views import bp as catalogue_bp
    from .health import bp as health_bp
    from .ledger.views import bp as ledger_bp
    from .media.views import bp as media_bp
    from .moderation.views import bp as moderation_bp
    from .orders.views import bp as orders_bp
    from .payments import checkout_views as _checkout_views  # noqa: F401 (checkout and paying, on orders_bp)
    from .shops import views_cash as _views_cash  # noqa: F401 (the producer's cash orders, on shops_bp)
    from .orders.views_admin import bp as orders_admin_bp
    from .payments.views import bp as payments_bp
    from .pwa import bp as pwa_bp
    from .reviews.views import bp as reviews_bp
    from .search.views import bp as search_bp
    from .shops.views import bp as shops_bp

    for blueprint in (health_bp, accounts_bp, catalogue_bp, shops_bp, media_bp, search_bp, orders_bp,
                      orders_admin_bp, payments_bp, reviews_bp, moderation_bp, ledger_bp, pwa_bp):
        app.register_blueprint(blueprint)


def _connect_signals():
    """Lower features announce, higher ones react, through signals connected here (blinker ignores repeats): a
    released order closes its open payment attempt, `flask media collect` asks which photos are in use, and
    `flask ledger check` what the ledger should hold."""
    from .catalogue.queries import photo_hashes_in_use
    from .ledger.check import checking, checking_stripe
    from .media.collect import photos_in_use
    from .moderation.queries import snapshot_hashes_in_use
    from .orders.earnings import problems as order_problems
    from .ledger.queries import naming_held
    from .payments.cash import connect_signals as connect_cash_signals
    from .payments.cash import problems as cash_problems
    from .payments.reconcile import held_names
    from .payments.reconcile import problems as held_problems
    from .payments.refunds import problems as refund_problems
    from .payments.settle import connect_signals as connect_payment_signals
    from .payments.stripe_held import problems as stripe_problems
    from .shops.service import logo_hashes_in_use

    for receiver in (photo_hashes_in_use, logo_hashes_in_use, snapshot_hashes_in_use):
        photos_in_use.connect(receiver)
    checking.connect(order_problems)
    checking.connect(cash_problems)
    checking.connect(refund_problems)
    checking.connect(held_problems)
    checking_stripe.connect(stripe_problems)
    naming_held.connect(held_names)
    connect_payment_signals()
    connect_cash_signals()


def _register_cli(app):
    from .accounts.cli import create_admin_command
    from .catalogue.cli import catalogue_cli
    from .checks import check_config_command
    from .demo import seed_demo_command
    from .ledger.cli import ledger_cli
    from .media.cli import media_cli
    from .moderation.cli import moderation_cli
    from .notifications.cli import notifications_cli
    from .orders.cli import orders_cli
    from .payments.cli import payments_cli  # also adds `flask orders expire`
    from .search.cli import search_cli

    for command in (create_admin_command, check_config_command, seed_demo_command, catalogue_cli, media_cli,
                    moderation_cli, notifications_cli, orders_cli, payments_cli, search_cli, ledger_cli):
        app.cli.add_command(command)
