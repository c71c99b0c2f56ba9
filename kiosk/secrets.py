"""Secrets kept outside the repository: the terminal's signing key, the technician PIN hash.

The file is TOML with ``technician_pin_hash`` (from :func:`hash_pin`) and, on a
development machine, ``terminal_key`` (hex, ≥ 32 bytes). It must not be readable by group
or others. On a terminal the key is not in the file: kiosk-provision seals it with
systemd-creds and ``kiosk.service`` hands it over decrypted, in memory, as the credential
``kiosk-terminal-key`` in ``$CREDENTIALS_DIRECTORY`` (``LoadCredentialEncrypted=``); when
that is there it is the key, whatever the file says. In demo mode a file is generated under
the data directory the first time (demo PIN ``246810``); outside demo mode the technician
PIN must have at least ``MIN_TECHNICIAN_PIN_DIGITS`` (8) digits, which the hash records.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as _random
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import ConfigError, Settings
from kiosk.storage import StorageError, ensure_dir, reason

DEMO_TECHNICIAN_PIN = "246810"  # demo mode only: production refuses PINs this short
# The systemd credential holding the terminal key (deploy/systemd/kiosk.service).
TERMINAL_KEY_CREDENTIAL = "kiosk-terminal-key"
MIN_KEY_BYTES = 32
MIN_TECHNICIAN_PIN_DIGITS = 8  # outside demo mode
_ITERATIONS = 200_000


@dataclass(frozen=True, repr=False)
class Secrets:
    """The terminal key and the technician PIN hash. ``repr`` never shows them."""

    terminal_key: bytes
    technician_pin_hash: str

    def __repr__(self) -> str:
        return "Secrets(<hidden>)"


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = _ITERATIONS) -> str:
    """Return ``pbkdf2_sha256$iterations$salt$hash$digits`` for a PIN of ASCII digits; the
    PIN itself is not kept, only how many digits it has (so that the configuration can
    refuse a short production PIN). ValueError for anything but digits."""
    if not (pin.isascii() and pin.isdigit()):
        raise ValueError("a technician PIN is digits only")
    salt = salt or _random.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}${len(pin)}"


def pin_hash_digits(stored: str) -> int | None:
    """How many digits the hashed PIN has; None for a hash that does not say (older)."""
    parts = stored.split("$")
    if len(parts) == 5 and parts[4].isascii() and parts[4].isdigit():
        return int(parts[4])
    return None


def verify_pin(pin: str, stored: str) -> bool:
    """Constant-time check of a PIN against a :func:`hash_pin` string."""
    try:
        algo, iterations, salt_hex, digest_hex, *_digits = stored.split("$")
        if algo != "pbkdf2_sha256" or len(_digits) > 1:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex),
                                     int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def demo_secrets_path(settings: Settings) -> Path:
    return settings.data_dir / "demo-secrets.toml"


def _write_private(path: Path, text: str) -> None:
    """Write a 0600 file; :class:`StorageError` (one line, with the path) if it cannot be."""
    ensure_dir(path.parent, "the data directory")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise StorageError("cannot write the demo secrets file", path, reason(exc)) from None


def parse_terminal_key(text: str, source: str, key: str = "terminal_key") -> bytes:
    """Hex digits (surrounding blanks ignored), at least MIN_KEY_BYTES bytes, or a
    one-line :class:`ConfigError` naming ``source``."""
    try:
        value = bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigError(source, key, "must be hex") from None
    if len(value) < MIN_KEY_BYTES:
        raise ConfigError(source, key, f"must be at least {MIN_KEY_BYTES} bytes "
                                       f"({2 * MIN_KEY_BYTES} hex digits)")
    return value


def sealed_terminal_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The key systemd decrypted for this service (``$CREDENTIALS_DIRECTORY``), or None
    when there is none (not under kiosk.service, or not provisioned)."""
    env = os.environ if environ is None else environ
    directory = env.get("CREDENTIALS_DIRECTORY", "")
    if not directory:
        return None
    path = Path(directory) / TERMINAL_KEY_CREDENTIAL
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), TERMINAL_KEY_CREDENTIAL,
                          f"unreadable ({type(exc).__name__})") from None
    return parse_terminal_key(text, str(path), TERMINAL_KEY_CREDENTIAL)


def load_secrets(settings: Settings) -> Secrets:
    """Read the secrets file; in demo mode create a demo one when none is configured."""
    path = settings.path(settings.security.secrets_file)
    if not path.exists() and settings.kiosk.demo:
        path = demo_secrets_path(settings)
        if not path.exists():
            _write_private(path, (
                "# Generated for demo mode. Not for production.\n"
                f'terminal_key = "{_random.token_hex(32)}"\n'
                f'technician_pin_hash = "{hash_pin(DEMO_TECHNICIAN_PIN, iterations=20_000)}"\n'
            ))
    src = str(path)
    if not path.exists():
        raise ConfigError(src, "security.secrets_file", "secrets file not found")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(src, "security.secrets_file",
                          f"permissions {stat.filemode(mode)} are too open (chmod 600)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(src, "-", f"not valid TOML ({exc})") from None
    key = sealed_terminal_key()
    if key is None:
        if "terminal_key" not in data:
            raise ConfigError(src, "terminal_key",
                              "missing, and no sealed credential "
                              f"($CREDENTIALS_DIRECTORY/{TERMINAL_KEY_CREDENTIAL}: the key is "
                              "only readable by kiosk.service; kiosk-provision seals it)")
        key = parse_terminal_key(str(data["terminal_key"]), src)
    pin_hash = str(data.get("technician_pin_hash", ""))
    if not pin_hash.startswith("pbkdf2_sha256$"):
        raise ConfigError(src, "technician_pin_hash", "missing or not a pbkdf2_sha256 hash")
    digits = pin_hash_digits(pin_hash)
    if not settings.kiosk.demo and (digits or 0) < MIN_TECHNICIAN_PIN_DIGITS:
        raise ConfigError(src, "technician_pin_hash",
                          f"the technician PIN must have at least {MIN_TECHNICIAN_PIN_DIGITS} "
                          "digits outside demo mode (hash a new one with kiosk.secrets.hash_pin)")
    return Secrets(terminal_key=key, technician_pin_hash=pin_hash)
