"""Files and directories the kiosk writes: one-line errors, private (0600) modes.

A data or log directory that cannot be created (read-only mount, a file in the way, a
typo in the config) must stop a command with one line naming the path, not a traceback:
:class:`StorageError` carries what was attempted, the path and the system's reason, and
``kiosk.cli.main`` prints it. Files holding personal data (the outbox database, the log)
are created 0600 so other local users cannot read them (:func:`private_umask`,
:func:`make_private`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path


class StorageError(Exception):
    """A path the kiosk needs cannot be created, opened or written; ``str()`` is one line."""

    def __init__(self, what: str, path: Path | str, reason: str) -> None:
        self.what, self.path, self.reason = what, str(path), reason
        super().__init__(f"{what} {path}: {reason}")


def reason(exc: BaseException) -> str:
    """The system's reason for an OSError (``strerror``), else the exception text."""
    return (getattr(exc, "strerror", None) or str(exc)).strip() or type(exc).__name__


def ensure_dir(path: Path, what: str, mode: int | None = None) -> Path:
    """Create ``path`` (and parents) if missing; :class:`StorageError` if that fails.

    ``what`` names the directory for the user, e.g. ``"the log directory"``. With
    ``mode`` (e.g. ``0o700`` for a directory of private files) a directory created here
    gets exactly that mode; an existing one is left as it is."""
    existed = path.is_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        if mode is not None and not existed:
            path.chmod(mode)
    except FileExistsError:
        raise StorageError(f"cannot create {what}", path, "a file is in the way") from None
    except OSError as exc:
        raise StorageError(f"cannot create {what}", path, reason(exc)) from None
    return path


def private_sqlite_files(db: Path) -> tuple[Path, ...]:
    """A SQLite database and its WAL companions (``-wal``, ``-shm``)."""
    return (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files created inside get no group/other permissions (SQLite makes its -wal/-shm
    files with the database's mode, the log handler opens with the process umask)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_private(path: Path) -> None:
    """Take group/other permissions off an existing file (one made by an older version)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        path.chmod(stat.S_IMODE(mode) & 0o700)


def fsync_dir(directory: Path) -> None:
    """Make a new or removed directory entry durable (a file created but not yet fsync'd
    in its directory can vanish in a power cut, with everything written into it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the data itself is synced
    finally:
        os.close(fd)
