"""A failed support-bundle export says why as a reason a screen can translate."""

from __future__ import annotations

import datetime as dt
import errno
import tarfile

import pytest

from kiosk.config import load_settings
from kiosk.services.diagnostics.bundle import BundleError, export_bundle
from kiosk.services.diagnostics.runner import Report

REPORT = Report((), dt.datetime(2026, 11, 25, tzinfo=dt.UTC), 0.0, "T-1")


def test_a_missing_destination_is_not_a_directory(tmp_path):
    dest = tmp_path / "no-usb-stick"
    with pytest.raises(BundleError) as err:
        export_bundle(load_settings(environ={}), dest, REPORT)
    assert (err.value.reason, err.value.path) == ("not_a_directory", str(dest))
    assert "destination is not a directory" in str(err.value)  # logs and CLI unchanged


@pytest.mark.parametrize(("code", "reason"), [
    (errno.ENOSPC, "full"), (errno.EROFS, "read_only"), (errno.EACCES, "no_permission"),
    (errno.EIO, "write_failed")])
def test_write_errors_map_to_a_reason_and_leave_no_partial_file(tmp_path, monkeypatch,
                                                                 code, reason):
    def failing_open(*_a, **_kw):
        raise OSError(code, "simulated")

    monkeypatch.setattr(tarfile, "open", failing_open)  # a full or read-only stick
    with pytest.raises(BundleError) as err:
        export_bundle(load_settings(environ={}), tmp_path, REPORT)
    assert (err.value.reason, err.value.path) == (reason, str(tmp_path))
    assert list(tmp_path.iterdir()) == []
