"""Reads run by the driver's own cursor on the session's connection, for the few selects every public page and
every logged-in visitor's request runs: SQLAlchemy's execute costs several times the statement itself."""
from sqlalchemy import inspect
from sqlalchemy.orm import configure_mappers, make_transient_to_detached, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

_compiled = {}


def driver_rows(session, statement, params):
    """The rows of a select, run by the driver's own cursor on the session's connection: tuples as the driver
    returns them (no result processing: SQLite gives dates as text and booleans as 0/1).

    For the few selects that every public page runs, whose rows serve as a kept page's key (web.shared_page)
    or hold only text and whole numbers: SQLAlchemy's execute costs several times the statement itself even
    with its compiled cache (a cache key computed, parameters processed, a Result built). Here the statement
    is compiled once per database kind, like a constant; its parameters must be plain values (str, int), not
    lists (no expanding IN). Listeners of before_ and after_cursor_execute still see the statement."""
    connection = _connection(session() if isinstance(session, scoped_session) else session)
    dialect = connection.dialect
    try:
        sql, names, defaults = _compiled[(statement, dialect.name)]
    except KeyError:
        sql, names, defaults = _compiled[(statement, dialect.name)] = _compile(statement, dialect)
    values = {**defaults, **params} if defaults else params
    arguments = [values[name] for name in names] if names is not None else values
    cursor = _cursor(connection)
    if not (connection._has_events or connection.engine._has_events):
        cursor.execute(sql, arguments)
        return cursor.fetchall()
    connection.dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, False)
    cursor.execute(sql, arguments)
    connection.dispatch.after_cursor_execute(connection, cursor, sql, arguments, None, False)
    return cursor.fetchall()


def driver_instance(session, model, statement, params):
    """(the `model` instance, the values of the columns after the model's) of the first row of a select of the
    model's table columns, in table order, followed by any other columns; (None, ()) when there is no row.

    For the user that every request of a logged-in visitor loads: the row comes from driver_rows, its values
    go through each column type's own result processing, and the instance joins the session as if an ORM query
    had loaded it (make_transient_to_detached, SQLAlchemy's recipe for instances built without SQL), for about a
    third of the query's cost. An instance already in the session's identity map is returned, with whatever a
    commit expired refreshed from the row, as an ORM query does."""
    session = session() if isinstance(session, scoped_session) else session
    rows = driver_rows(session, statement, params)
    if not rows:
        return None, ()
    columns, processors = _instance_columns(model, _connection(session).dialect)
    row = rows[0]
    values = {key: process(value) if process else value
              for key, process, value in zip(columns, processors, row)}
    kept = session.identity_map.get(model.__mapper__.identity_key_from_primary_key(
        [values[column.key] for column in model.__mapper__.primary_key]))
    if kept is None:
        kept = model.__mapper__.class_manager.new_instance()  # as the ORM's loader makes one: no __init__
        vars(kept).update(values)
        make_transient_to_detached(kept)
        session.add(kept)
    else:
        # Expired by a commit, as an ORM query would: its attributes refreshed from this row, not read again.
        for key in inspect(kept).unloaded & values.keys():
            set_committed_value(kept, key, values[key])
    return kept, tuple(row[len(columns):])


_instance_columns_of = {}


def _instance_columns(model, dialect):
    """(attribute keys of the model's table columns in order, each one's result processor or None)."""
    try:
        return _instance_columns_of[(model, dialect.name)]
    except KeyError:
        configure_mappers()  # a process's first query may be this one: new_instance() needs the mapper set up
        table = model.__table__
        mapper = model.__mapper__
        keys = [mapper.get_property_by_column(column).key for column in table.columns]
        processors = [column.type._cached_result_processor(dialect, None) for column in table.columns]
        _instance_columns_of[(model, dialect.name)] = keys, processors
        return keys, processors


def _connection(session):
    """session.connection(), remembered for the session's transaction: asking the session each time went
    through its transaction's state machine, a twentieth of a page that reads five times."""
    transaction = session.get_transaction()
    kept = session.info.get(_CONNECTION)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return kept[1]
    connection = session.connection()
    session.info[_CONNECTION] = (session.get_transaction(), connection)
    return connection


_CONNECTION = "pasardesa_driver_connection"


def _cursor(connection):
    """The driver connection's one cursor for driver_rows, made once: a new cursor per statement cost a tenth of
    a search page on SQLite. A cursor whose rows were all fetched holds nothing, and a connection serves one
    thread at a time."""
    dbapi_connection = connection.connection.dbapi_connection
    info = connection.info
    kept = info.get(_CURSOR)
    if kept is None or kept[0] is not dbapi_connection:
        kept = info[_CURSOR] = (dbapi_connection, dbapi_connection.cursor())
    return kept[1]


_CURSOR = "pasardesa_driver_cursor"


def _compile(statement, dialect):
    """(SQL text, bind names in order for a positional driver or None, the statement's own bind values)."""
    compiled = statement.compile(dialect=dialect)
    if "__[POSTCOMPILE_" in compiled.string:
        raise ValueError("driver_rows() cannot run a statement with an expanding or literal-execute parameter")
    processors = compiled._bind_processors
    defaults = {name: processors[name](value) if name in processors else value
                for name, value in compiled.construct_params(_check=False).items() if value is not None}
    names = list(compiled.positiontup) if dialect.positional else None
    return compiled.string, names, defaults
