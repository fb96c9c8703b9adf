"""Statements and round trips between the app and its database, counted where they happen (bench/budget.py).

PostgreSQL: the app talks to the server through a small TCP relay that reads the protocol's messages. A round
trip is a turn of the conversation: the app sends, then waits for the server's answer; a statement is a query
message (simple Query, or Execute of the extended protocol), BEGIN, COMMIT and ROLLBACK included. A pool's ping
is a round trip like any other. SQLite: statements as sqlite3's trace callback sees them, BEGIN and ROLLBACK
included; a file database has no round trips.
"""
import socket
import threading

from sqlalchemy import event
from sqlalchemy.engine import make_url


class Counts:
    """Statements and round trips so far, over every connection."""

    def __init__(self):
        self.statements = 0
        self.round_trips = 0
        self.lock = threading.Lock()

    def snapshot(self):
        with self.lock:
            return self.statements, self.round_trips


class Relay:
    """A TCP relay to a PostgreSQL server on a free local port, counting into `counts`."""

    def __init__(self, url, counts):
        self.target = (url.host or "127.0.0.1", url.port or 5432)
        self.counts = counts
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _address = self.listener.accept()
            server = socket.create_connection(self.target)
            conversation = {"waiting": False}
            threading.Thread(target=self._from_app, args=(client, server, conversation), daemon=True).start()
            threading.Thread(target=self._from_server, args=(server, client, conversation), daemon=True).start()

    def _from_app(self, client, server, conversation):
        buffer, started = b"", False
        while data := client.recv(65536):
            buffer += data
            statements = 0
            while True:
                if not started:  # the startup message has no type byte
                    if len(buffer) < 4 or len(buffer) < int.from_bytes(buffer[:4], "big"):
                        break
                    buffer, started = buffer[int.from_bytes(buffer[:4], "big"):], True
                    continue
                if len(buffer) < 5 or len(buffer) < 1 + int.from_bytes(buffer[1:5], "big"):
                    break
                statements += buffer[:1] in (b"Q", b"E")
                buffer = buffer[1 + int.from_bytes(buffer[1:5], "big"):]
            with self.counts.lock:
                self.counts.statements += statements
                if not conversation["waiting"]:
                    self.counts.round_trips += 1
                    conversation["waiting"] = True
            server.sendall(data)
        server.close()

    def _from_server(self, server, client, conversation):
        while data := server.recv(65536):
            with self.counts.lock:
                conversation["waiting"] = False
            client.sendall(data)
        client.close()


def counted_url(database_url, counts):
    """The database URL the app should use so that `counts` sees its statements (and round trips)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return database_url
    relay = Relay(url, counts)
    # Plain TCP, so that the relay reads the messages (the server is local to the bench anyway).
    counted = url.set(host="127.0.0.1", port=relay.port, query={**url.query, "sslmode": "disable",
                                                                "gssencmode": "disable"})
    return counted.render_as_string(hide_password=False)


def count_sqlite(engine, counts):
    """Count the statements SQLite runs on the engine's connections made from now on."""
    if engine.dialect.name != "sqlite":
        return

    def traced(_statement):
        counts.statements += 1

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(traced)
