"""The service's :class:`~kiosk.central.sandbox.db.Database` on PostgreSQL (psycopg 3 and
its connection pool).

A transaction takes one pooled connection for its whole life and binds it to the
thread, so every store called inside it (the register, the simulated core) writes in the
same transaction. Statements outside a transaction run on a pooled connection in
autocommit. ``?`` placeholders become ``%s`` (translated once per statement text);
psycopg prepares a statement on the server after it has run a few times.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from kiosk.central.sandbox.db import Committed, Database, DuplicateKey, Row, sql_str

#: A pooled connection: its rows are dicts by column name (``dict_row``), which the
#: stores read as their :data:`~kiosk.central.sandbox.db.Row`.
Connection = psycopg.Connection[Row]


class PgDatabase(Database):
    """PostgreSQL through a connection pool (see the module doc)."""

    dialect = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, min_size: int = 2, max_size: int = 16,
                 timeout: float = 10.0) -> None:
        self.url = url
        self.pool: ConnectionPool[Connection] = ConnectionPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout, open=True,
            kwargs={"autocommit": True, "row_factory": dict_row}, name="kiosk-centre")
        # The same database with synchronous_commit off (see :meth:`relaxed`).
        self.relaxed_pool: ConnectionPool[Connection] = ConnectionPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout, open=True,
            kwargs={"autocommit": True, "row_factory": dict_row,
                    "options": "-c synchronous_commit=off"}, name="kiosk-centre-relaxed")
        self.pool.wait(timeout)
        self.relaxed_pool.wait(timeout)
        self._local = threading.local()
        self._sql: dict[str, str] = {}

    def _translate(self, sql: str) -> str:
        done = self._sql.get(sql)
        if done is None:
            done = sql.replace("%", "%%").replace("?", "%s")
            self._sql[sql] = done
        return done

    def _pool(self) -> ConnectionPool[Connection]:
        return self.relaxed_pool if getattr(self._local, "relaxed", False) else self.pool

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        """Statements and transactions inside commit without waiting for the WAL to
        reach the disk (``synchronous_commit=off``: a server crash may lose the last
        fraction of a second of them, never corrupt anything). For nonces, rate-limit
        tokens and heartbeats only: a lost heartbeat is sent again, a lost ack is
        repeated by the terminal. Pre-losses, cancels, codes, directives and the audit
        log stay on the durable pool."""
        before = getattr(self._local, "relaxed", False)
        self._local.relaxed = True
        try:
            yield
        finally:
            self._local.relaxed = before

    @contextmanager
    def tx(self) -> Iterator[None]:
        if getattr(self._local, "conn", None) is not None:
            yield  # joined: the outer transaction commits or rolls back
            return
        error: Exception | None = None
        with self._pool().connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    try:
                        yield
                    except Committed as exc:
                        error = exc.error  # commit what was done, then report it
            finally:
                self._local.conn = None
        if error is not None:
            raise error

    def exclusive(self, name: str) -> None:
        # A transaction-level advisory lock: released by the commit or rollback, even
        # when the worker dies; keyed by a 32-bit digest of the name.
        if getattr(self._local, "conn", None) is None:
            raise RuntimeError("exclusive() outside a transaction would hold nothing")
        self.one("SELECT pg_advisory_xact_lock(?)", zlib.crc32(name.encode()))

    @contextmanager
    def _conn(self) -> Iterator[Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self._pool().connection() as fresh:
            yield fresh

    def _execute(self, conn: Connection, sql: str,
                 args: Sequence[object]) -> psycopg.Cursor[Row]:
        try:
            return conn.execute(self._translate(sql), tuple(args))
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateKey(str(exc).splitlines()[0]) from None

    def one(self, sql: str, *args: object) -> Row | None:
        with self._conn() as conn:
            cur = self._execute(conn, sql, args)
            return cur.fetchone() if cur.description else None

    def all(self, sql: str, *args: object) -> list[Row]:
        with self._conn() as conn:
            return self._execute(conn, sql, args).fetchall()

    def run(self, sql: str, *args: object) -> int:
        with self._conn() as conn:
            return self._execute(conn, sql, args).rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self._conn() as conn, conn.cursor() as cur:
            cur.executemany(self._translate(sql), [tuple(r) for r in rows])

    def tables(self) -> list[str]:
        return [sql_str(r["tablename"]) for r in self.all(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]

    def close(self) -> None:
        self.pool.close()
        self.relaxed_pool.close()
