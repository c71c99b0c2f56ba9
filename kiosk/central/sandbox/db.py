"""One small SQL interface under the service's stores, with an SQLite implementation.

The simulated core card system (:mod:`kiosk.central.sandbox.core`) and the terminal
register (:mod:`kiosk.central.sandbox.register`, :mod:`kiosk.central.sandbox.fleet_store`)
are written once against :class:`Database`: the sandbox runs them on SQLite
(:class:`SqliteDatabase`, one file, one connection under a lock), the province centre
on PostgreSQL (``kiosk.centre.pg.PgDatabase``, a pool of connections). So the rules are
the same code in both; only the dialect's few differences live here.

Statements use ``?`` placeholders (translated for PostgreSQL). Work happens inside
:meth:`Database.tx`: the first ``tx`` on a thread opens a transaction on a connection
bound to that thread; nested ``tx`` calls join it, so an idempotent operation's effect
and its stored answer commit together, whichever store wrote them.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from kiosk.storage import make_private, private_sqlite_files, private_umask

#: A row by column name. What a column holds is the schema's word, not the type
#: checker's: a value is read with the narrowing helpers below (sql_str, sql_int, …).
Row = Mapping[str, object]
# A second row with the same key, by SQLite's extended result code (the message text is
# not a contract): a UNIQUE or a PRIMARY KEY constraint.
DUPLICATE_CODES = frozenset({sqlite3.SQLITE_CONSTRAINT_UNIQUE,
                             sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY})


def sql_str(value: object) -> str:
    """A TEXT column's value (anything else is a schema bug: TypeError)."""
    if isinstance(value, str):
        return value
    raise TypeError(f"a text column held {type(value).__name__}")


def sql_int(value: object) -> int:
    """An INTEGER column's value, or a count or sum the database computed (PostgreSQL
    answers a whole ``Decimal`` for a sum of BIGINTs)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise TypeError(f"an integer column held {type(value).__name__}")


def sql_float(value: object) -> float:
    """A REAL (or numeric) column's value, as the database gave it (an int stays one)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"a real column held {type(value).__name__}")


def sql_datetime(value: object) -> dt.datetime:
    """A PostgreSQL TIMESTAMPTZ column's value."""
    if isinstance(value, dt.datetime):
        return value
    raise TypeError(f"a timestamp column held {type(value).__name__}")


def sql_bytes(value: object) -> bytes:
    """A BLOB (PostgreSQL: BYTEA) column's value."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"a blob column held {type(value).__name__}")


def sql_opt_str(value: object) -> str | None:
    """A TEXT column that may be NULL."""
    return None if value is None else sql_str(value)


def sql_json_object(value: object) -> dict[str, object]:
    """A TEXT column holding a JSON object the service wrote itself."""
    parsed: object = json.loads(sql_str(value))
    if isinstance(parsed, dict):
        return parsed
    raise TypeError(f"a JSON object column held {type(parsed).__name__}")


class Committed(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside :meth:`Database.tx` to commit what was done and then raise
    ``error`` (a refusal whose side effect must stay, e.g. a spent code try)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        super().__init__(str(error))


class DuplicateKey(Exception):  # noqa: N818 - the dialects' unique violations, as one
    """An INSERT hit a primary key or unique constraint."""


class Database:
    """The dialect-neutral interface (see the module doc)."""

    dialect = "abstract"
    #: appended to a SELECT that must lock the rows it reads until the transaction ends
    for_update = ""
    #: as :attr:`for_update`, skipping rows another transaction holds
    skip_locked = ""

    @contextmanager
    def tx(self) -> Iterator[None]:
        """A transaction (joined when one is already open on this thread)."""
        raise NotImplementedError
        yield  # pragma: no cover

    def one(self, sql: str, *args: object) -> Row | None:
        """The first row of a query, or None."""
        raise NotImplementedError

    def all(self, sql: str, *args: object) -> list[Row]:
        """Every row of a query."""
        raise NotImplementedError

    def run(self, sql: str, *args: object) -> int:
        """Run a statement; the number of rows it changed."""
        raise NotImplementedError

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement for each parameter row."""
        for row in rows:
            self.run(sql, *row)

    def tables(self) -> list[str]:
        """The tables of the schema (reset)."""
        raise NotImplementedError

    def exclusive(self, name: str) -> None:
        """Inside a transaction: wait until no other transaction holds ``name``, then
        hold it until this one ends (two workers starting on an empty database must not
        both seed it). SQLite: nothing to do, its transactions already run one at a
        time (``BEGIN IMMEDIATE``)."""

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        """Work inside may be committed without waiting for the disk: what a crash of
        the database server could lose without harm (a nonce, a rate-limit token, a
        heartbeat the terminal repeats anyway). SQLite: no difference."""
        yield

    def close(self) -> None:
        """Close every connection."""


class SqliteDatabase(Database):
    """One SQLite file (WAL, synchronous=FULL), one connection under one lock."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._local = threading.local()
        # It holds SMS codes and personal data: 0600, its WAL files too (made with the
        # database's mode), also when a version before this one made them 0644.
        for made in private_sqlite_files(self.path):
            make_private(made)
        with private_umask():
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")

    def script(self, sql: str) -> None:
        """Run a schema script (``CREATE TABLE IF NOT EXISTS ...``)."""
        with self._lock:
            self._db.executescript(sql)

    @contextmanager
    def tx(self) -> Iterator[None]:
        with self._lock:
            depth = getattr(self._local, "depth", 0)
            if depth:
                self._local.depth = depth + 1
                try:
                    yield
                finally:
                    self._local.depth = depth
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            try:
                yield
            except Committed as exc:
                self._db.execute("COMMIT")  # keep the side effect, report the refusal
                raise exc.error from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._local.depth = 0

    def _execute(self, sql: str, args: Sequence[object]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, tuple(args))
        except sqlite3.IntegrityError as exc:
            if getattr(exc, "sqlite_errorcode", None) in DUPLICATE_CODES:
                raise DuplicateKey(str(exc)) from None
            raise

    def one(self, sql: str, *args: object) -> Row | None:
        with self._lock:
            return self._execute(sql, args).fetchone()

    def all(self, sql: str, *args: object) -> list[Row]:
        with self._lock:
            return self._execute(sql, args).fetchall()

    def run(self, sql: str, *args: object) -> int:
        with self._lock:
            return self._execute(sql, args).rowcount

    def tables(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%'").fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()
