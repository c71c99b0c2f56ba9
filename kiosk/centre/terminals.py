"""Enrolling terminals: ``kiosk-centre terminals add | rotate | revoke | reinstate | ls``.

``add`` makes a 32-byte key, stores it wrapped (:mod:`kiosk.centre.keys`) and returns
it once, as the credential text a terminal's install takes (``format`` line, terminal id,
key, site, the centre's URL). ``rotate`` adds a new key and keeps the old one valid for
an overlap (the terminal is re-provisioned with the new credential meanwhile); the
gate accepts either until the old one's ``not_after``. ``revoke`` marks the terminal
revoked: every worker reads the terminal's keys on each request, so its next call is
refused. Each change is one audit entry.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from kiosk.central.sandbox.db import Database, DuplicateKey, sql_int
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.centre.keys import KEY_BYTES, PgTerminalKeys, wrap
from kiosk.centre.operators import Operators
from kiosk.errors import CliError

TERMINAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
SITES = ("outlet", "medical")
CREDENTIAL_FORMAT = "kiosk-terminal-credential/1"


def format_credential(terminal_id: str, key: bytes, base_url: str | None = None,
                      site: str | None = None) -> str:
    """The credential text a terminal's install takes (TOML, one value a line)."""
    lines = [f'format = "{CREDENTIAL_FORMAT}"', f'terminal_id = "{terminal_id}"',
             f'terminal_key = "{key.hex()}"']
    if base_url:
        lines.append(f'base_url = "{base_url}"')
    if site:
        lines.append(f'site = "{site}"')
    return "\n".join(lines) + "\n"


class Terminals:
    """The ``enrolled`` and ``terminal_keys`` tables."""

    def __init__(self, db: Database, master: bytes) -> None:
        self.db, self.master = db, master
        self.audit = Operators(db)

    def add(self, terminal_id: str, outlet: str, region: str, site: str,
            actor: str = "cli", reason: str = "", key: bytes | None = None) -> bytes:
        """Enrol a terminal; its key (shown once). ``key``: one the terminal already
        holds (the demo's and the tests' terminals); by default a new one."""
        _check(terminal_id, outlet, region, site)
        key = key or secrets.token_bytes(KEY_BYTES)
        try:
            with self.db.tx():
                self.db.run("INSERT INTO enrolled (terminal_id, outlet, region, site) "
                            "VALUES (?,?,?,?)", terminal_id, outlet, region, site)
                self.db.run("INSERT INTO terminal_keys (terminal_id, key_id, wrapped) "
                            "VALUES (?,1,?)", terminal_id, wrap(self.master, terminal_id, 1,
                                                                 key))
                self.audit.audit(actor, "terminal_add", [terminal_id],
                                 {"outlet": outlet, "region": region, "site": site}, reason)
        except DuplicateKey:
            raise CliError(f"terminal {terminal_id} is already enrolled") from None
        return key

    def add_many(self, rows: list[tuple[str, str, str, str]], actor: str = "bench"
                 ) -> dict[str, bytes]:
        """Enrol many terminals at once (the bench: 10,000 in seconds)."""
        keys = {}
        enrolled, wrapped = [], []
        for terminal_id, outlet, region, site in rows:
            _check(terminal_id, outlet, region, site)
            key = secrets.token_bytes(KEY_BYTES)
            keys[terminal_id] = key
            enrolled.append((terminal_id, outlet, region, site))
            wrapped.append((terminal_id, wrap(self.master, terminal_id, 1, key)))
        with self.db.tx():
            self.db.run_many("INSERT INTO enrolled (terminal_id, outlet, region, site) "
                             "VALUES (?,?,?,?)", enrolled)
            self.db.run_many("INSERT INTO terminal_keys (terminal_id, key_id, wrapped) "
                             "VALUES (?,1,?)", wrapped)
            self.audit.audit(actor, "terminal_add", [r[0] for r in rows],
                             {"count": len(rows)}, "bulk enrolment")
        return keys

    def rotate(self, terminal_id: str, overlap: dt.timedelta, actor: str = "cli",
               reason: str = "") -> bytes:
        """A new key; the current ones stay valid for ``overlap``."""
        key = secrets.token_bytes(KEY_BYTES)
        with self.db.tx():
            row = self.db.one("SELECT status FROM enrolled WHERE terminal_id = ?"
                              + self.db.for_update, terminal_id)
            if row is None:
                raise CliError(f"no terminal {terminal_id}")
            if row["status"] != "active":
                raise CliError(f"terminal {terminal_id} is revoked; reinstate it first")
            top = self.db.one("SELECT MAX(key_id) AS n FROM terminal_keys WHERE "
                              "terminal_id = ?", terminal_id)
            new_id = sql_int(top["n"] or 0) + 1 if top else 1
            until = dt.datetime.now(dt.UTC) + overlap
            self.db.run("UPDATE terminal_keys SET not_after = ? WHERE terminal_id = ? AND "
                        "(not_after IS NULL OR not_after > ?)", until, terminal_id, until)
            self.db.run("INSERT INTO terminal_keys (terminal_id, key_id, wrapped) "
                        "VALUES (?,?,?)", terminal_id, new_id,
                        wrap(self.master, terminal_id, new_id, key))
            self.audit.audit(actor, "terminal_rotate", [terminal_id],
                             {"key_id": new_id, "overlap_seconds": overlap.total_seconds()},
                             reason)
        return key

    def set_status(self, terminal_id: str, revoked: bool, actor: str = "cli",
                   reason: str = "") -> None:
        """Revoke (refused from the next call on) or reinstate a terminal."""
        keys = PgTerminalKeys(self.db, self.master)
        with self.db.tx():
            try:
                (keys.revoke if revoked else keys.reinstate)(terminal_id)
            except ApiProblem:
                raise CliError(f"no terminal {terminal_id}") from None
            self.audit.audit(actor, "terminal_revoke" if revoked else "terminal_reinstate",
                             [terminal_id], {}, reason)

    def list(self, limit: int = 100_000) -> list[dict[str, object]]:
        """Enrolled terminals with their key count (never a key)."""
        return [dict(r) for r in self.db.all(
            "SELECT e.terminal_id, e.outlet, e.region, e.site, e.status, e.created_at, "
            "e.revoked_at, COUNT(k.key_id) FILTER (WHERE k.not_after IS NULL OR "
            "k.not_after > now()) AS valid_keys FROM enrolled e LEFT JOIN terminal_keys k "
            "USING (terminal_id) GROUP BY e.terminal_id ORDER BY e.terminal_id LIMIT ?",
            limit)]


def _check(terminal_id: str, outlet: str, region: str, site: str) -> None:
    if not TERMINAL_RE.fullmatch(terminal_id):
        raise CliError(f"terminal id {terminal_id!r}: letters, digits, _ and -, at most 64")
    for what, value in (("outlet", outlet), ("region", region)):
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", value):
            raise CliError(f"--{what} {value!r}: lower-case letters, digits, _ and -")
    if site not in SITES:
        raise CliError(f"--site {site!r}: outlet or medical")
