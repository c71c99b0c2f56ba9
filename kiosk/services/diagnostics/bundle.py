"""The support bundle: one ``.tar.gz`` with what a technician needs, nothing personal.

Contents: ``report.json`` (all checks), ``config.json`` (settings in effect; secret-like
keys redacted — the secrets themselves live in another file and are never read here),
``versions.json`` (kiosk, Python, packages, espeak-ng, pcscd), ``logs/`` (the JSON log
files, every line scrubbed again on the way in), ``MANIFEST.txt``.

It is written to a temporary name in the destination and renamed when complete, so a
USB stick pulled mid-way never holds a half archive under the final name.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import os
import platform
import subprocess
import tarfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import __version__
from kiosk.config import Settings
from kiosk.domain.masking import scrub_text
from kiosk.logs import get_logger

if TYPE_CHECKING:
    from kiosk.services.diagnostics.runner import Report

log = get_logger("kiosk.services.diagnostics.bundle")

SECRET_WORDS = ("secret", "password", "token", "pin", "key")
PACKAGES = ("kivy", "pyscard", "python-escpos", "prometheus-client", "requests", "pydantic",
            "fastapi", "uvicorn", "pyserial", "qrcode")
TOOLS = {"espeak-ng": ["espeak-ng", "--version"], "pcscd": ["pcscd", "--version"],
         "sox": ["sox", "--version"]}
MAX_LOG_BYTES = 5_000_000  # per file: the newest part is kept


class BundleError(Exception):
    """The bundle could not be written (destination missing, read-only, full).

    ``reason`` (not_a_directory, read_only, full, no_permission, write_failed) and
    ``path`` let a screen say it in the reader's language; the message is for logs/CLI."""

    def __init__(self, message: str, reason: str = "write_failed", path: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.path = path


# OS errors a technician can act on, by errno; anything else is "write_failed".
_OS_REASONS = {errno.EROFS: "read_only", errno.ENOSPC: "full", errno.EDQUOT: "full",
               errno.EACCES: "no_permission", errno.EPERM: "no_permission"}


def redacted_config(settings: Settings) -> dict[str, object]:
    """Settings as data, with any secret-looking key's value replaced (paths stay)."""
    out: dict[str, object] = {"sources": list(settings.sources)}
    for section, values in settings.as_dict().items():
        out[section] = {
            k: ("<hidden>" if any(w in k.lower() for w in SECRET_WORDS)
                and not k.endswith(("_file", "_dir", "_path")) else v)
            for k, v in values.items()}
    return out


def versions() -> dict[str, object]:
    """Software versions: kiosk, Python, OS, key packages, external tools."""
    pkgs: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    tools = {}
    for name, cmd in TOOLS.items():
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)
            text = (proc.stdout or proc.stderr).strip().splitlines()
            tools[name] = text[0] if text else None
        except (OSError, subprocess.TimeoutExpired):
            tools[name] = None
    return {"kiosk": __version__, "python": platform.python_version(),
            "platform": platform.platform(), "packages": pkgs, "tools": tools}


def _scrubbed_log(path: Path) -> bytes:
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size > MAX_LOG_BYTES:
            fh.seek(size - MAX_LOG_BYTES)
            fh.readline()  # drop the cut line
        raw = fh.read().decode("utf-8", "replace")
    return "".join(scrub_text(line) + "\n" for line in raw.splitlines()).encode("utf-8")


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def export_bundle(settings: Settings, dest_dir: Path | str, report: Report,
                  now: dt.datetime | None = None) -> Path:
    """Write the bundle into ``dest_dir``; return its path. ``report`` is the
    :class:`~kiosk.services.diagnostics.runner.Report` of a run just made."""
    dest = Path(dest_dir)
    if not dest.is_dir():
        raise BundleError(f"destination is not a directory: {dest}", "not_a_directory",
                          str(dest))
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    safe_terminal = "".join(c if c.isalnum() or c in "-_" else "_"
                            for c in settings.kiosk.terminal_id)
    base = f"kiosk-support-{safe_terminal}-{stamp}"
    final = dest / f"{base}.tar.gz"
    partial = dest / f".{base}.tar.gz.partial"
    mtime = now.timestamp()
    files: list[str] = []
    try:
        with tarfile.open(partial, "w:gz") as tar:
            def add_json(name: str, value: object) -> None:
                data = json.dumps(value, ensure_ascii=False, indent=2, default=str)
                _add(tar, f"{base}/{name}", data.encode("utf-8"), mtime)
                files.append(name)

            add_json("report.json", report.to_dict("en"))
            add_json("config.json", redacted_config(settings))
            add_json("versions.json", versions())
            log_dir = settings.log_dir
            if log_dir.is_dir():
                for path in sorted(log_dir.iterdir()):
                    if path.is_file() and not path.name.startswith("."):
                        _add(tar, f"{base}/logs/{path.name}", _scrubbed_log(path),
                             path.stat().st_mtime)
                        files.append(f"logs/{path.name}")
            manifest = (f"Kiosk support bundle\nterminal: {settings.kiosk.terminal_id}\n"
                        f"created: {now.isoformat(timespec='seconds')}\n"
                        f"status: {report.status.value}\n\n" + "\n".join(files) + "\n")
            _add(tar, f"{base}/MANIFEST.txt", manifest.encode("utf-8"), mtime)
        os.replace(partial, final)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BundleError(f"cannot write the bundle to {dest}: {exc.strerror or exc}",
                          _OS_REASONS.get(exc.errno or 0, "write_failed"), str(dest)) from exc
    log.info("support bundle written", extra={"fields": {"files": len(files) + 1,
                                                          "bytes": final.stat().st_size}})
    return final
