"""Operators (named accounts with a role) and the append-only audit log.

Roles, each including the one before: ``viewer`` (the fleet page, the register, the
audit log, metrics), ``operator`` (directives: pause, resume, config, bundle, group
rollouts), ``admin`` (terminals: add, rotate, revoke; operators; the test harness).
A token is 32 random bytes shown once; the database keeps its SHA-256 (a high-entropy
token needs no slow hash: there is nothing to guess). The audit log (who, when, which
terminals, what, why) refuses UPDATE, DELETE and TRUNCATE by trigger.
"""

from __future__ import annotations

import builtins
import csv
import datetime as dt
import hashlib
import io
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from kiosk.central.sandbox.db import (
    Database,
    DuplicateKey,
    Row,
    sql_datetime,
    sql_int,
    sql_json_object,
    sql_str,
)
from kiosk.errors import CliError

ROLES = ("viewer", "operator", "admin")
NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
TOKEN_PREFIX = "kco_"


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Operator:
    """An authenticated operator."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this operator's role includes ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


class Operators:
    """The ``operators`` table and the ``audit_log``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, name: str, role: str, actor: str = "cli") -> str:
        """A new operator; returns the token (shown once, never stored)."""
        if not NAME_RE.fullmatch(name):
            raise CliError(f"operator name {name!r}: lower-case letters, digits, . _ -")
        if role not in ROLES:
            raise CliError(f"role {role!r}: one of {', '.join(ROLES)}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.db.tx():
                self.db.run("INSERT INTO operators (name, role, token_sha256) VALUES (?,?,?)",
                            name, role, token_hash(token))
                self.audit(actor, "operator_add", [], {"name": name, "role": role}, "")
        except DuplicateKey:
            raise CliError(f"operator {name} exists") from None
        return token

    def disable(self, name: str, actor: str = "cli") -> None:
        """Disable an operator (the token stops working at once)."""
        with self.db.tx():
            if not self.db.run("UPDATE operators SET disabled_at = now() WHERE name = ? AND "
                               "disabled_at IS NULL", name):
                raise CliError(f"no active operator {name}")
            self.audit(actor, "operator_disable", [], {"name": name}, "")

    def list(self) -> builtins.list[dict[str, object]]:
        """Every operator (no tokens)."""
        return [dict(r) for r in self.db.all(
            "SELECT name, role, created_at, disabled_at FROM operators ORDER BY name")]

    def authenticate(self, token: str) -> Operator | None:
        """The operator holding ``token``, or None."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        row = self.db.one("SELECT name, role FROM operators WHERE token_sha256 = ? AND "
                          "disabled_at IS NULL", token_hash(token))
        return Operator(sql_str(row["name"]), sql_str(row["role"])) if row else None

    # ---- audit ------------------------------------------------------------------------

    def audit(self, actor: str, action: str, terminals: builtins.list[str],
              detail: Mapping[str, object], reason: str) -> None:
        """Append one entry (inside the caller's transaction when there is one)."""
        self.db.run("INSERT INTO audit_log (actor, action, terminals, detail, reason) "
                    "VALUES (?,?,?,?,?)", actor, action, json.dumps(terminals[:1000]),
                    json.dumps(detail, ensure_ascii=False, sort_keys=True), reason[:500])

    def entries(self, limit: int = 50,
                before: int | None = None) -> builtins.list[AuditEntry]:
        """Newest first; ``before`` = the id to page on from."""
        rows = self.db.all("SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
                           before if before is not None else 2**62, limit)
        return [_entry(r) for r in rows]

    def export(self, fmt: str = "jsonl") -> str:
        """The whole log, oldest first, as JSON lines or CSV."""
        rows = self.db.all("SELECT * FROM audit_log ORDER BY id")
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["id", "at", "actor", "action", "terminals", "detail", "reason"])
            for r in rows:
                writer.writerow([r["id"], _iso(r["at"]), r["actor"], r["action"],
                                 r["terminals"], r["detail"], r["reason"]])
            return out.getvalue()
        return "".join(json.dumps({**dict(r), "at": _iso(r["at"]),
                                   "terminals": json.loads(sql_str(r["terminals"])),
                                   "detail": json.loads(sql_str(r["detail"]))},
                                  ensure_ascii=False) + "\n" for r in rows)


class AuditEntry(TypedDict):
    """One line of the audit log (its columns; ``terminals`` and ``detail`` parsed)."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    terminals: list[str]
    detail: dict[str, object]
    reason: str


def _entry(row: Row) -> AuditEntry:
    terminals: object = json.loads(sql_str(row["terminals"]))  # written by audit(): a list
    return {"id": sql_int(row["id"]), "at": sql_datetime(row["at"]),
            "actor": sql_str(row["actor"]), "action": sql_str(row["action"]),
            "terminals": [str(t) for t in terminals] if isinstance(terminals, list) else [],
            "detail": sql_json_object(row["detail"]), "reason": sql_str(row["reason"])}


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)
