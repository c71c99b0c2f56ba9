"""The terminal credential: what the centre issues for one terminal, what kiosk-provision
takes (``kiosk-centre terminals add`` prints it; docs/deploying.md, "Provisioning").

A small TOML text, read as hostile input (an allow-list of keys, each checked)::

    format = "kiosk-terminal-credential/1"
    terminal_id = "T-4403-0001"
    terminal_key = "<hex, at least 64 digits>"
    base_url = "https://centre.example/"     # optional: the centre as terminals reach it
    site = "outlet"                           # optional: outlet | medical

The key is the secret: kiosk-provision seals it with systemd-creds and writes it nowhere
in plain text. :func:`format_credential` is the one writer (the centre imports it).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from urllib.parse import urlsplit

FORMAT = "kiosk-terminal-credential/1"
MIN_KEY_HEX = 64
SITES = ("outlet", "medical")
# A terminal id as the fleet knows it: letters, digits and dashes, not too long.
TERMINAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,39}")
REQUIRED = ("format", "terminal_id", "terminal_key")
OPTIONAL = ("base_url", "site")
MAX_TEXT = 4096


class CredentialError(ValueError):
    """The credential is unusable; ``str()`` is one line and never holds the key."""


@dataclass(frozen=True, repr=False)
class Credential:
    """One terminal's identity and key. ``repr`` never shows the key."""

    terminal_id: str
    terminal_key: bytes
    base_url: str | None = None
    site: str | None = None

    def __repr__(self) -> str:
        return f"Credential({self.terminal_id}, key=<hidden>)"


def check_terminal_id(value: str) -> str:
    """``value`` if it is a terminal id, else :class:`CredentialError`."""
    if not TERMINAL_ID.fullmatch(value):
        raise CredentialError(f"terminal_id {value[:40]!r} is not letters, digits and dashes "
                              "(3-40)")
    return value


def check_base_url(value: str) -> str:
    """``value`` if it is an http(s) URL with a host, else :class:`CredentialError`."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CredentialError(f"base_url {value[:80]!r} is not an http(s) URL with a host")
    return value


def parse_credential(text: str) -> Credential:
    """The credential in ``text``, or :class:`CredentialError`."""
    if len(text) > MAX_TEXT:
        raise CredentialError(f"longer than {MAX_TEXT} characters: not a credential")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CredentialError(f"not TOML ({str(exc).splitlines()[0][:80]})") from None
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise CredentialError(f"unknown key {unknown[0]!r} (allowed: "
                              f"{', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if key not in data:
            raise CredentialError(f"{key} is missing")
    if not all(isinstance(v, str) for v in data.values()):
        raise CredentialError("every value must be a string")
    if data["format"] != FORMAT:
        raise CredentialError(f"format {data['format'][:40]!r} is not {FORMAT!r}")
    key_hex = data["terminal_key"].strip()
    if len(key_hex) < MIN_KEY_HEX or not re.fullmatch(r"[0-9a-fA-F]+", key_hex) \
            or len(key_hex) % 2:
        raise CredentialError(f"terminal_key must be at least {MIN_KEY_HEX} hex digits")
    site = data.get("site")
    if site is not None and site not in SITES:
        raise CredentialError(f"site {site[:20]!r} is not one of {', '.join(SITES)}")
    base_url = data.get("base_url")
    return Credential(terminal_id=check_terminal_id(data["terminal_id"]),
                      terminal_key=bytes.fromhex(key_hex),
                      base_url=check_base_url(base_url) if base_url is not None else None,
                      site=site)


def format_credential(terminal_id: str, terminal_key: bytes, *, base_url: str | None = None,
                      site: str | None = None) -> str:
    """The credential text for ``terminal_id`` (what the centre prints, once)."""
    cred = Credential(check_terminal_id(terminal_id), terminal_key,
                      check_base_url(base_url) if base_url else None, site)
    if len(terminal_key) * 2 < MIN_KEY_HEX:
        raise CredentialError(f"terminal_key must be at least {MIN_KEY_HEX // 2} bytes")
    if site is not None and site not in SITES:
        raise CredentialError(f"site {site!r} is not one of {', '.join(SITES)}")
    lines = ["# Terminal credential: give it to kiosk-provision on this terminal only,",
             "# then destroy this copy (it holds the terminal's signing key).",
             f"format = {json.dumps(FORMAT)}",
             f"terminal_id = {json.dumps(cred.terminal_id)}",
             f"terminal_key = {json.dumps(terminal_key.hex())}"]
    if cred.base_url:
        lines.append(f"base_url = {json.dumps(cred.base_url)}")
    if site:
        lines.append(f"site = {json.dumps(site)}")
    return "\n".join(lines) + "\n"
