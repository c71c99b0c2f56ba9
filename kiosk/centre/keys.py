"""Terminal keys: enrolled once, rotated with an overlap, revoked at once.

A terminal's signing key is 32 random bytes. The centre must hold it (HMAC needs the
same key on both sides), so it is stored **wrapped**: AES-256-GCM under a master key that
lives outside the database (a 0600 file, or a systemd credential), with the terminal id
and key id as associated data so a wrapped key cannot be moved to another terminal's row.
A database dump or a replica's disk alone therefore cannot sign as any terminal; with
the master key file as well it can, which is why the file sits on the centre nodes only
(never in backups of the database) and is itself backed up separately.

Why wrapping and not hashing: a hash would let the centre check a secret the terminal
shows, but an HMAC request signature needs the key itself to verify.

``keys_for`` is read on every signed request (a primary-key lookup), so a revocation or
rotation is seen by every worker on the terminal's next call; unwrapped keys are cached
by their wrapped bytes only (an AES-GCM open per request would cost ~10 µs more).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.central.sandbox.db import Database, sql_bytes, sql_int
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.schemas import ProblemCode
from kiosk.errors import CliError

KEY_BYTES = 32
MASTER_KEY_HEX = re.compile(r"^[0-9a-f]{64}$")


def create_master_key(path: Path) -> bool:
    """Write a new master key (0600) unless the file exists; True when written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True


def load_master_key(path: Path) -> bytes:
    """The master key from its file (one line when missing, unreadable or malformed)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read the master key ({type(exc).__name__}); "
                       "run `kiosk-centre init` first") from None
    if not MASTER_KEY_HEX.fullmatch(text):
        raise CliError(f"{path}: not a master key (64 lower-case hex digits)")
    if path.stat().st_mode & 0o077:
        raise CliError(f"{path}: readable by others; chmod 0600 it")
    return bytes.fromhex(text)


def wrap(master: bytes, terminal_id: str, key_id: int, key: bytes) -> bytes:
    """The key sealed for storage: 12-byte nonce + ciphertext and tag."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(master).encrypt(nonce, key, f"{terminal_id}/{key_id}".encode())


def unwrap(master: bytes, terminal_id: str, key_id: int, wrapped: bytes) -> bytes:
    """The key from its stored form (``cryptography``'s InvalidTag if tampered)."""
    return AESGCM(master).decrypt(wrapped[:12], wrapped[12:],
                                  f"{terminal_id}/{key_id}".encode())


class PgTerminalKeys:
    """:class:`kiosk.central.sandbox.ports.TerminalKeys` from the ``terminal_keys`` table.

    A revoked terminal's keys still verify its signature (one query reads the keys and
    the terminal's status), so the gate can answer it the signed 403
    ``terminal_revoked`` that makes it show out of service; everyone else keeps the one
    401."""

    def __init__(self, db: Database, master: bytes) -> None:
        self.db, self.master = db, master
        self._plain: dict[bytes, bytes] = {}
        self._status = threading.local()  # the status read with this thread's keys

    def revoked(self, terminal_id: str) -> bool:
        """Whether the terminal is revoked (as read with its keys on this request)."""
        seen = getattr(self._status, "value", None)
        if seen is not None and seen[0] == terminal_id:
            return bool(seen[1] == "revoked")
        row = self.db.one("SELECT status FROM enrolled WHERE terminal_id = ?", terminal_id)
        return row is not None and row["status"] == "revoked"

    def revoke(self, terminal_id: str) -> None:
        """Revoke: the terminal's next call is refused (audited by the caller)."""
        self._set(terminal_id, "revoked")

    def reinstate(self, terminal_id: str) -> None:
        """Take a revocation back."""
        self._set(terminal_id, "active")

    def _set(self, terminal_id: str, status: str) -> None:
        if not self.db.run("UPDATE enrolled SET status = ?, revoked_at = CASE WHEN ? = "
                           "'revoked' THEN now() END WHERE terminal_id = ?", status, status,
                           terminal_id):
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such terminal")

    def keys_for(self, terminal_id: str) -> Sequence[bytes]:
        rows = self.db.all(
            "SELECT k.key_id, k.wrapped, e.status FROM terminal_keys k JOIN enrolled e "
            "USING (terminal_id) WHERE k.terminal_id = ? AND "
            "(k.not_after IS NULL OR k.not_after > now()) ORDER BY k.key_id DESC",
            terminal_id)
        self._status.value = (terminal_id, rows[0]["status"] if rows else None)
        out = []
        for row in rows:
            wrapped = sql_bytes(row["wrapped"])
            plain = self._plain.get(wrapped)
            if plain is None:
                plain = unwrap(self.master, terminal_id, sql_int(row["key_id"]), wrapped)
                if len(self._plain) > 50_000:
                    self._plain.clear()
                self._plain[wrapped] = plain
            out.append(plain)
        return out
