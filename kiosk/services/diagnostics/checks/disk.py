"""Free space and writability of the data and log directories."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".diag-", delete=True) as fh:
            fh.write(b"x")
            fh.flush()
        return True
    except OSError:
        return False


def check_disk(ctx: DiagnosticsContext) -> CheckResult:
    """Warn below ``disk_warn_mb`` free, fail below ``disk_fail_mb`` or when unwritable."""
    cfg = ctx.settings.diagnostics
    dirs = {"data": ctx.settings.data_dir, "log": ctx.settings.log_dir}
    volumes = []
    seen: set[int] = set()
    status, key = CheckStatus.OK, "diagnostics.disk.ok"
    low_free = None
    for label, path in dirs.items():
        writable = _writable(path)
        try:
            usage = shutil.disk_usage(path)
            dev = os.stat(path).st_dev
        except OSError:
            volumes.append({"dir": label, "path": str(path), "writable": False})
            status, key = CheckStatus.FAIL, "diagnostics.disk.unwritable"
            continue
        free_mb = usage.free // (1024 * 1024)
        low_free = free_mb if low_free is None else min(low_free, free_mb)
        volumes.append({"dir": label, "path": str(path), "writable": writable,
                        "free_mb": free_mb, "total_mb": usage.total // (1024 * 1024),
                        "same_volume_as_data": dev in seen})
        seen.add(dev)
        if not writable:
            status, key = CheckStatus.FAIL, "diagnostics.disk.unwritable"
        elif free_mb < cfg.disk_fail_mb and status is not CheckStatus.FAIL:
            status, key = CheckStatus.FAIL, "diagnostics.disk.full"
        elif free_mb < cfg.disk_warn_mb and status is CheckStatus.OK:
            status, key = CheckStatus.WARN, "diagnostics.disk.low"
    return CheckResult("disk", status, key, {
        "free_mb": low_free if low_free is not None else 0,
        "warn_mb": cfg.disk_warn_mb, "fail_mb": cfg.disk_fail_mb, "volumes": volumes})
