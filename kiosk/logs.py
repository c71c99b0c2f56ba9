"""Structured, rotating logs that mask personal data by construction.

Every record is formatted to one JSON line. The message is rendered and then scrubbed
(:func:`kiosk.domain.masking.scrub_text`); structured fields go through
``extra={"fields": {...}}`` and any field whose name is personal (name, id_number, pin …)
is replaced by ``"***"`` whatever its value. Exceptions are logged by type, location
and (for the kiosk's own errors) their code only (:func:`error_fields`): an exception's
message can quote a name or an address that no pattern recognises, and tracebacks carry
locals' reprs, so neither reaches the file.
"""

from __future__ import annotations

import errno
import json
import logging
import logging.handlers
import os
import re
import time
import traceback
from collections.abc import Mapping
from io import TextIOWrapper
from pathlib import Path
from types import TracebackType

from kiosk.domain.masking import scrub_text
from kiosk.storage import StorageError, ensure_dir, make_private, reason

PERSONAL_FIELDS = frozenset({
    "name", "id_number", "ssn", "card_number", "pin", "phone", "address", "birth_date",
    "photo", "holder", "code", "verification_code", "new_pin",
})
LOG_FILE = "kiosk.log"
_CONFIGURED: dict[str, logging.Handler] = {}


def clean_fields(fields: Mapping[str, object]) -> dict[str, object]:
    """Personal fields hidden; other values scrubbed if they are text."""
    out: dict[str, object] = {}
    for key, value in fields.items():
        if key.lower() in PERSONAL_FIELDS:
            out[key] = "***"
        elif isinstance(value, str):
            out[key] = scrub_text(value)
        elif isinstance(value, (int, float, bool)) or value is None:
            out[key] = value
        else:
            out[key] = scrub_text(str(value))
    return out


_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,48}$")
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _where(tb: TracebackType | None) -> str | None:
    """``kiosk/x.py:12 in f`` of the innermost frame in the kiosk package (else the
    innermost frame; a path outside the repo is shown by file name only)."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    if not frames:
        return None
    ours = [f for f in frames if f.filename.startswith(str(_PACKAGE_ROOT / "kiosk"))]
    frame = (ours or frames)[-1]
    path = Path(frame.filename)
    try:
        shown = str(path.relative_to(_PACKAGE_ROOT))
    except ValueError:
        shown = path.name
    return f"{shown}:{frame.lineno} in {frame.name}"


def error_fields(exc: BaseException) -> dict[str, object]:
    """What a log may say about an exception: its type, where it was raised, and a code
    when it carries a machine-readable one (``kind``/``code`` of the kiosk's own errors,
    the errno name of an OSError). Never ``str(exc)``: messages may hold personal data."""
    out: dict[str, object] = {"error": type(exc).__name__}
    where = _where(exc.__traceback__)
    if where:
        out["where"] = where
    code = None
    if isinstance(exc, OSError) and exc.errno is not None:
        code = errno.errorcode.get(exc.errno)
    elif type(exc).__module__.startswith("kiosk."):  # only our codes are known to be safe
        for attr in ("code", "kind"):
            value = getattr(exc, attr, None)
            if isinstance(value, str) and _CODE.match(value):
                code = value
                break
    if code:
        out["error_code"] = code
    return out


class JsonMaskingFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event (scrubbed), fields (masked)."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "event": scrub_text(message),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            entry["fields"] = clean_fields(fields)
        if record.exc_info and record.exc_info[1] is not None:
            entry.update(error_fields(record.exc_info[1]))
        return json.dumps(entry, ensure_ascii=False)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files are 0600: the log is about cardholders'
    sessions, so other local users must not read it even though it is masked."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # a file left by an older version, or made with a wide umask
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(log_dir: Path, level: int = logging.INFO, max_bytes: int = 2_000_000,
                  backups: int = 5) -> Path:
    """Send the ``kiosk`` logger to a rotating JSON-lines file in ``log_dir`` (idempotent).

    The directory and file are checked here, so an unusable log directory stops the
    command with one line (:class:`kiosk.storage.StorageError`) instead of a logging
    error on the first record."""
    ensure_dir(log_dir, "the log directory")
    path = log_dir / LOG_FILE
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        make_private(path)
    except OSError as exc:
        raise StorageError("cannot write the log file", path, reason(exc)) from None
    logger = logging.getLogger("kiosk")
    old = _CONFIGURED.pop("file", None)
    if old is not None:
        logger.removeHandler(old)
        old.close()
    handler = PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
    handler.setFormatter(JsonMaskingFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    _CONFIGURED["file"] = handler
    return path


def get_logger(name: str) -> logging.Logger:
    """A child of the ``kiosk`` logger (never the root logger)."""
    return logging.getLogger(name if name.startswith("kiosk") else f"kiosk.{name}")
