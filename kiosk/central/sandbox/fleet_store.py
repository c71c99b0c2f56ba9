"""The fleet register: what each terminal last said, and the directives the centre has
for it (pending until the terminal acknowledges them). Behind
:class:`kiosk.central.sandbox.ports.FleetRegister`, over a
:class:`kiosk.central.sandbox.db.Database`: the sandbox keeps it in SQLite next to its
database (``<db>-fleet.db``, cleared by an admin reset like the rest of the sandbox), the
centre in PostgreSQL.

Directives are never deleted: an acknowledged one keeps its outcome, so the register
shows the trail. Uploaded support bundles are kept under ``<bundle dir>``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Protocol

from kiosk.central import schemas_fleet as f
from kiosk.central.sandbox.db import (
    Database,
    Row,
    SqliteDatabase,
    sql_bytes,
    sql_int,
    sql_json_object,
    sql_str,
)
from kiosk.central.sandbox.ports import Answer
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.schemas import ProblemCode
from kiosk.storage import ensure_dir

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS terminals (
  terminal_id TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  heartbeats INTEGER NOT NULL, version TEXT, config_hash TEXT, config_version INTEGER,
  rolled_back_from INTEGER, site TEXT, uptime_seconds REAL, heartbeat_seconds INTEGER,
  paused INTEGER,
  parts TEXT, counts TEXT, clock_skew_seconds REAL);
CREATE TABLE IF NOT EXISTS directives (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
  terminal_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  created_at TEXT NOT NULL, acked_at TEXT, outcome TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS bundles (
  directive_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, total INTEGER NOT NULL,
  sha256 TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 0, path TEXT, bytes INTEGER);
CREATE TABLE IF NOT EXISTS bundle_chunks (
  directive_id TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (directive_id, idx));
"""
_TABLES = ("terminals", "directives", "bundles", "bundle_chunks")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WithFleet(Protocol):
    """A sandbox store, as :meth:`FleetStore.beside` reads it."""

    @property
    def fleet(self) -> FleetStore: ...


class FleetStore:
    """The register over a database (thread-safe: the database serialises)."""

    def __init__(self, db: Database, bundle_dir: Path) -> None:
        self.db, self.bundle_dir = db, bundle_dir

    @classmethod
    def sqlite(cls, path: Path) -> FleetStore:
        """The sandbox's register in its own SQLite file (bundles beside it)."""
        db = SqliteDatabase(path)
        db.script(SQLITE_SCHEMA)
        return cls(db, path.parent / "fleet-bundles")

    @classmethod
    def beside(cls, store: WithFleet) -> FleetStore:
        """The register of a sandbox store (its ``fleet``)."""
        return store.fleet

    def reset(self) -> None:
        """Forget every terminal, directive and bundle (the sandbox's admin reset)."""
        with self.db.tx():
            for table in _TABLES:
                self.db.run(f"DELETE FROM {table}")  # noqa: S608 - fixed names

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # ---- the terminal side ----------------------------------------------------------

    def heartbeat(self, hb: f.FleetHeartbeat, server_time: dt.datetime) -> list[Answer]:
        """Record a heartbeat and its acks; answer the directives still pending."""
        now = server_time.isoformat()
        skew = (hb.clock - server_time).total_seconds()
        # Relaxed commit: a heartbeat lost in a database crash is sent again a minute
        # later, and its acks are repeated until one is answered.
        with self.db.relaxed(), self.db.tx():
            self.db.run(
                "INSERT INTO terminals (terminal_id, first_seen, last_seen, heartbeats, "
                "version, config_hash, config_version, rolled_back_from, site, "
                "uptime_seconds, heartbeat_seconds, paused, parts, counts, "
                "clock_skew_seconds) VALUES (?,?,?,1,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(terminal_id) DO UPDATE SET last_seen=excluded.last_seen, "
                "heartbeats=terminals.heartbeats+1, version=excluded.version, "
                "config_hash=excluded.config_hash, config_version=excluded.config_version, "
                "rolled_back_from=excluded.rolled_back_from, site=excluded.site, "
                "uptime_seconds=excluded.uptime_seconds, "
                "heartbeat_seconds=excluded.heartbeat_seconds, paused=excluded.paused, "
                "parts=excluded.parts, counts=excluded.counts, "
                "clock_skew_seconds=excluded.clock_skew_seconds",
                hb.terminal_id, now, now, hb.version, hb.config_hash, hb.config_version,
                hb.config_rolled_back_from, hb.site, hb.uptime_seconds, hb.heartbeat_seconds,
                int(hb.paused), hb.parts.model_dump_json(), hb.counts.model_dump_json(), skew)
            for ack in hb.acks:
                # Only this terminal's own directives; a repeated ack changes nothing.
                self.db.run(
                    "UPDATE directives SET acked_at=?, outcome=?, reason=? "
                    "WHERE id=? AND terminal_id=? AND acked_at IS NULL",
                    now, ack.outcome.value, ack.reason, ack.directive_id, hb.terminal_id)
            self.after_heartbeat(hb, server_time)
            rows = self.db.all(
                "SELECT body FROM directives WHERE terminal_id=? AND acked_at IS NULL "
                "ORDER BY seq LIMIT ?", hb.terminal_id, f.MAX_DIRECTIVES)
        return [sql_json_object(r["body"]) for r in rows]

    def after_heartbeat(self, hb: f.FleetHeartbeat, server_time: dt.datetime) -> None:
        """Hook inside the heartbeat's transaction (the centre keeps history here)."""

    def bundle_chunk(self, terminal_id: str, chunk: f.BundleChunk) -> Answer:
        """Store one chunk of a bundle the centre asked this terminal for; assemble and
        check it when the last one is in."""
        try:
            data = base64.b64decode(chunk.data, validate=True)
        except ValueError:
            raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422, "invalid: data") from None
        with self.db.tx():
            asked = self.db.one(
                "SELECT 1 AS x FROM directives WHERE id=? AND terminal_id=? AND kind=?",
                chunk.directive_id, terminal_id, "collect_bundle")
            if asked is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such bundle request")
            self.db.run("INSERT INTO bundles (directive_id, terminal_id, total, sha256) "
                        "VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                        chunk.directive_id, terminal_id, chunk.total, chunk.sha256)
            row = self.db.one("SELECT * FROM bundles WHERE directive_id=?"
                              + self.db.for_update, chunk.directive_id)
            assert row is not None
            if row["total"] != chunk.total or row["sha256"] != chunk.sha256:
                # A new attempt (the terminal made the bundle again): start over.
                self.db.run("DELETE FROM bundle_chunks WHERE directive_id=?",
                            chunk.directive_id)
                self.db.run("UPDATE bundles SET total=?, sha256=?, complete=0 "
                            "WHERE directive_id=?", chunk.total, chunk.sha256,
                            chunk.directive_id)
            self.db.run("INSERT INTO bundle_chunks VALUES (?,?,?) ON CONFLICT "
                        "(directive_id, idx) DO UPDATE SET data = excluded.data",
                        chunk.directive_id, chunk.index, data)
            got = self.db.one("SELECT COUNT(*) AS n FROM bundle_chunks WHERE "
                              "directive_id=? AND idx < ?", chunk.directive_id, chunk.total)
            received = sql_int(got["n"]) if got is not None else 0
            complete = received == chunk.total and self._assemble(chunk, terminal_id)
        return {"received": received, "complete": bool(complete)}

    def _assemble(self, chunk: f.BundleChunk, terminal_id: str) -> bool:
        parts = self.db.all("SELECT data FROM bundle_chunks WHERE directive_id=? "
                            "ORDER BY idx", chunk.directive_id)
        blob = b"".join(sql_bytes(p["data"]) for p in parts)
        if hashlib.sha256(blob).hexdigest() != chunk.sha256:
            self.db.run("DELETE FROM bundle_chunks WHERE directive_id=?", chunk.directive_id)
            raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422, "invalid: sha256")
        # A support bundle may hold a terminal's logs: the directory 0700, the file 0600.
        ensure_dir(self.bundle_dir, "the support bundle directory").chmod(0o700)
        out = self.bundle_dir / f"{terminal_id}-{chunk.directive_id}.tar.gz"
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        out.chmod(0o600)  # a file left by an older version keeps its mode in os.open
        self.db.run("UPDATE bundles SET complete=1, path=?, bytes=? WHERE directive_id=?",
                    str(out), len(blob), chunk.directive_id)
        self.db.run("DELETE FROM bundle_chunks WHERE directive_id=?", chunk.directive_id)
        return True

    # ---- the admin side -------------------------------------------------------------

    def add_directive(self, terminal_id: str, kind: str, **fields: object) -> Answer:
        """Queue a directive for a known terminal; answer it as sent to the terminal."""
        with self.db.tx():
            known = self.db.one("SELECT config_version FROM terminals WHERE terminal_id=?"
                                + self.db.for_update, terminal_id)
            if known is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "unknown terminal")
            if kind == "config" and fields.get("version") is None:
                fields["version"] = self._next_config_version(terminal_id,
                                                              sql_int(known["config_version"]
                                                                      or 0))
            body = {"id": uuid.uuid4().hex, "kind": kind, **fields}
            f.FleetHeartbeatResult.model_validate(  # the shape the terminal will parse
                {"server_time": _now(), "accepted": True, "directives": [body]})
            self.db.run("INSERT INTO directives (id, terminal_id, kind, body, created_at) "
                        "VALUES (?,?,?,?,?)", body["id"], terminal_id, kind,
                        json.dumps(body), _now().isoformat())
        return body

    def _next_config_version(self, terminal_id: str, applied: int) -> int:
        rows = self.db.all("SELECT body FROM directives WHERE terminal_id=? AND "
                           "kind='config'", terminal_id)
        pushed = max((sql_int(sql_json_object(r["body"])["version"]) for r in rows),
                     default=0)
        return max(pushed, applied) + 1

    @staticmethod
    def directive_view(d: Row) -> Answer:
        """A directive row as the register shows it."""
        body = sql_json_object(d["body"])
        return {"id": d["id"], "kind": d["kind"], "created_at": d["created_at"],
                "state": "acknowledged" if d["acked_at"] else "pending",
                "acked_at": d["acked_at"], "outcome": d["outcome"],
                "refusal": d["reason"], "pause_reason": body.get("reason"),
                "version": body.get("version"),
                "guidance_readable": body.get("guidance_readable")}

    @staticmethod
    def terminal_view(r: Row, directives: list[Answer]) -> Answer:
        """A terminal row as the register shows it."""
        item = dict(r)
        item["paused"] = bool(item["paused"])
        item["parts"] = sql_json_object(item["parts"] or "{}")
        item["counts"] = sql_json_object(item["counts"] or "{}")
        item["directives"] = directives
        return item

    def terminals(self, limit: int | None = None, offset: int = 0) -> list[Answer]:
        """Every terminal (or one page of them, by id) with its last status and its
        directives (newest last)."""
        page = -1 if limit is None and self.db.dialect == "sqlite" else limit
        with self.db.tx():
            rows = self.db.all("SELECT * FROM terminals ORDER BY terminal_id LIMIT ? OFFSET ?",
                               page, offset)
            directives = self.db.all(
                "SELECT * FROM directives WHERE terminal_id IN (SELECT terminal_id FROM "
                "terminals ORDER BY terminal_id LIMIT ? OFFSET ?) ORDER BY seq", page, offset)
        by_terminal: dict[str, list[Answer]] = {}
        for d in directives:
            by_terminal.setdefault(sql_str(d["terminal_id"]), []).append(
                self.directive_view(d))
        return [self.terminal_view(r, by_terminal.get(sql_str(r["terminal_id"]), []))
                for r in rows]

    def bundles(self) -> list[Answer]:
        """Every bundle upload: whose, how big, complete or not, where it is."""
        with self.db.tx():
            return [dict(r) for r in self.db.all(
                "SELECT b.directive_id, b.terminal_id, b.total, b.sha256, b.complete, b.path, "
                "b.bytes FROM bundles b JOIN directives d ON d.id = b.directive_id "
                "ORDER BY d.seq")]
