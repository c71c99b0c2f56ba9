"""Files that hold personal data are not readable by other local users (mode 0600)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from kiosk.central.outbox import KIND_PRE_LOSS, Outbox
from kiosk.logs import LOG_FILE, get_logger, setup_logging


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outbox_database_and_wal_files_are_private(tmp_path):
    old = os.umask(0o022)  # the usual umask: without care, files would be 0644
    try:
        box = Outbox(tmp_path / "outbox.sqlite3")
        box.enqueue(KIND_PRE_LOSS, {"name": "张三"}, "key-1")
    finally:
        os.umask(old)
    files = sorted(tmp_path.iterdir())
    names = {p.name for p in files}
    assert {"outbox.sqlite3", "outbox.sqlite3-wal", "outbox.sqlite3-shm"} <= names, names
    for p in files:
        assert mode(p) == 0o600, (p.name, oct(mode(p)))
    box.close()


def test_existing_world_readable_outbox_is_made_private(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    Outbox(path).close()
    for p in tmp_path.iterdir():
        p.chmod(0o644)
    box = Outbox(path)
    for p in tmp_path.iterdir():
        assert mode(p) == 0o600, (p.name, oct(mode(p)))
    box.close()


def test_log_file_and_rotated_files_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        path = setup_logging(tmp_path, max_bytes=300, backups=2)
        log = get_logger("kiosk.test.private")
        for i in range(20):
            log.info("event number %d with some padding to make it rotate", i)
    finally:
        os.umask(old)
        handler = logging.getLogger("kiosk").handlers
        for h in handler:
            h.flush()
    assert path == tmp_path / LOG_FILE
    files = sorted(tmp_path.iterdir())
    assert len(files) >= 2, files  # it rotated
    for p in files:
        assert mode(p) == 0o600, (p.name, oct(mode(p)))


def test_existing_world_readable_log_is_made_private(tmp_path):
    (tmp_path / LOG_FILE).write_text("")
    (tmp_path / LOG_FILE).chmod(0o644)
    setup_logging(tmp_path)
    assert mode(tmp_path / LOG_FILE) == 0o600
