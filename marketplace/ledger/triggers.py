"""Database triggers that refuse an UPDATE or DELETE of journal rows, whatever code sends it.

The ORM refuses too (models.py); these hold for raw SQL, other programs and a console session.
"""
from sqlalchemy import DDL, event

APPEND_ONLY_TABLES = ("journal_entry", "journal_line")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: record a correcting entry instead', TG_TABLE_NAME;
END
$$"""


def statements(dialect, table):
    """The SQL that makes `table` append-only on this dialect."""
    if dialect == "postgresql":
        return [POSTGRES_FUNCTION,
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"]
    return [f"CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correcting entry instead'); END"
            for action in ("update", "delete")]


def install(table):
    """Create the triggers whenever the table is created from the models (tests, create_all)."""
    def create(target, connection, **_kw):
        for sql in statements(connection.dialect.name, target.name):
            connection.execute(DDL(sql.replace("%", "%%")))  # DDL formats with %

    event.listen(table, "after_create", create)
