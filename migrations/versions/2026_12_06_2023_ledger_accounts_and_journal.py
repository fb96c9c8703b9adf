"""The double-entry ledger: accounts, and journal entries that the database keeps append-only.

Revision ID: e502de999109
Revises: 5b0c1f7e9a21
Create Date: 2026-12-06 20:23:48.391271

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e502de999109'
down_revision = '5b0c1f7e9a21'
branch_labels = None
depends_on = None

APPEND_ONLY = ("journal_entry", "journal_line")
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: record a correcting entry instead', TG_TABLE_NAME;
END
$$"""


def _refuse_changes(table):
    """Triggers that refuse an UPDATE or DELETE of the table's rows, whatever code sends it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()")
        return
    for action in ("update", "delete"):
        op.execute(f"CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table} BEGIN "
                   f"SELECT RAISE(ABORT, '{table} is append-only: record a correcting entry instead'); END")


def upgrade():
    op.create_table('ledger_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(shop_id IS NOT NULL) = (kind IN ('shop_pending', 'shop_available', 'shop_commission_owed'))", name=op.f('ck_ledger_account_shop_accounts_have_a_shop')),
    sa.CheckConstraint("kind IN ('held', 'shop_commission_owed', 'shop_pending', 'shop_available', 'refunds_owed', 'in_transit', 'income_commission', 'income_unique_code')", name=op.f('ck_ledger_account_kind_known')),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_ledger_account_shop_id_shop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_account')),
    sa.UniqueConstraint('code', name=op.f('uq_ledger_account_code'))
    )
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_account_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_account_shop_id'), ['shop_id'], unique=False)

    op.create_table('journal_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('memo', sa.String(length=300), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('shop_order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_journal_entry_order_id_order')),
    sa.ForeignKeyConstraint(['shop_order_id'], ['shop_order.id'], name=op.f('fk_journal_entry_shop_order_id_shop_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entry')),
    sa.UniqueConstraint('kind', 'reference', name='one_entry_per_cause')
    )
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entry_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entry_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entry_shop_order_id'), ['shop_order_id'], unique=False)

    op.create_table('journal_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount_idr', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_idr <> 0', name=op.f('ck_journal_line_amount_not_zero')),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_account.id'], name=op.f('fk_journal_line_account_id_ledger_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], name=op.f('fk_journal_line_entry_id_journal_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_line'))
    )
    with op.batch_alter_table('journal_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_line_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_line_entry_id'), ['entry_id'], unique=False)
    for table in APPEND_ONLY:
        _refuse_changes(table)


def downgrade():
    with op.batch_alter_table('journal_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_line_entry_id'))
        batch_op.drop_index(batch_op.f('ix_journal_line_account_id'))

    op.drop_table('journal_line')
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entry_shop_order_id'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_order_id'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_created_at'))

    op.drop_table('journal_entry')
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_account_shop_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_account_kind'))

    op.drop_table('ledger_account')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
