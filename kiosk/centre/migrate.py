"""The centre's schema migrations: plain versioned SQL files, applied in order.

``kiosk/centre/migrations/NNNN_name.sql``, each applied whole in one transaction (DDL is
transactional in PostgreSQL) and recorded in ``schema_migrations`` with its SHA-256. A
file edited after it was applied is refused (one line), so a database never drifts from
the code silently. Two workers starting at once serialise on an advisory lock.

Why plain SQL and not Alembic: the stores are written in SQL, not on SQLAlchemy models,
so Alembic would bring SQLAlchemy only to run files of DDL; the schema is read as it is
(the same statements a DBA reviews), and the runner is 40 lines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from kiosk.errors import CliError

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
LOCK_ID = 0x6B696F736B  # "kiosk": the advisory lock migrations hold


@dataclass(frozen=True)
class Migration:
    """One versioned SQL file."""

    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        """The file's checksum, recorded when applied."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations() -> list[Migration]:
    """Every migration shipped with the code, in version order."""
    found = []
    for entry in resources.files("kiosk.centre.migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(url: str) -> list[Migration]:
    """Apply the migrations the database lacks; return those applied now."""
    applied_now = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                         "PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, "
                         "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            done = {r[0]: r[1] for r in conn.execute(
                "SELECT version, sha256 FROM schema_migrations")}
            for m in migrations():
                if m.version in done:
                    if done[m.version] != m.sha256:
                        raise CliError(f"migration {m.version:04d}_{m.name}.sql was changed "
                                       "after it was applied; add a new migration instead")
                    continue
                with conn.transaction():
                    conn.execute(m.sql)
                    conn.execute("INSERT INTO schema_migrations (version, name, sha256) "
                                 "VALUES (%s, %s, %s)", (m.version, m.name, m.sha256))
                applied_now.append(m)
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
    except psycopg.OperationalError as exc:
        raise CliError(f"cannot reach PostgreSQL: {str(exc).strip().splitlines()[0]}") from None
    return applied_now


def current_version(url: str) -> int:
    """The newest migration applied (0: none)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
        if row is None or row[0] is None:
            return 0
        got = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        return int(got[0]) if got else 0
