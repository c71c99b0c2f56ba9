"""The qr_scanner diagnostics part: ``kiosk diagnose --part qr_scanner`` headless against
the virtual scanner on a pty, and the test scan (length only) through ``run_check``."""

from __future__ import annotations

import json
import os
import queue
import threading

from kiosk.cli.diagnose import diagnostics_context
from kiosk.devices.scanner import make_scanner, virtual_scanner_path
from kiosk.devices.virtual.scanner import VirtualScanner
from kiosk.services.diagnostics import CheckStatus, run_check
from kiosk.services.diagnostics.checks import PROBES
from kiosk.services.diagnostics.checks.qr_scanner import check_qr_scanner, scan_test_check
from tests.diagnostics.helpers import env_for, settings_for
from tests.fixtures.cli import run_kiosk
from tests.fixtures.polling import until

CODE = "essc1.diagnostics-test-code-0123456789"


def diagnose(tmp_path, **overrides) -> tuple[int, dict]:
    env = {**os.environ, **env_for(tmp_path, **{"kiosk__demo": True, **overrides})}
    proc = run_kiosk(["diagnose", "--json", "--part", "qr_scanner", "--lang", "en"], env,
                     timeout=60)
    return proc.returncode, json.loads(proc.stdout)["checks"][0]


def test_part_is_listed():
    assert "qr_scanner" in PROBES


def test_virtual_scanner_present_absent_and_none(tmp_path):
    settings = settings_for(tmp_path, kiosk__demo=True)
    scanner = VirtualScanner(virtual_scanner_path(settings))
    try:
        code, check = diagnose(tmp_path)
        assert (code, check["status"]) == (0, "ok"), check
        assert check["summary"] == "QR scanner OK (serial)"
        scanner.unplug()
        code, check = diagnose(tmp_path)
        assert (code, check["status"]) == (1, "fail")
        assert check["summary_key"] == "diagnostics.qr_scanner.no_scanner"
    finally:
        scanner.stop()
    code, check = diagnose(tmp_path, cards__qr_scanner="none")
    assert (code, check["summary_key"]) == (0, "diagnostics.qr_scanner.not_configured")
    # Outside demo mode "virtual" is no scanner: a production terminal names its port.
    code, check = diagnose(tmp_path, kiosk__demo=False)
    assert (code, check["summary_key"]) == (0, "diagnostics.qr_scanner.not_configured")


def test_live_watcher_status_and_a_held_port(tmp_path):
    settings = settings_for(tmp_path, kiosk__demo=True)
    scanner = VirtualScanner(virtual_scanner_path(settings))
    events: queue.Queue = queue.Queue()
    watcher = make_scanner(settings, events.put)
    watcher.start()
    try:
        events.get(timeout=5)
        with diagnostics_context(settings, qr_scanner=watcher) as ctx:
            result = check_qr_scanner(ctx)
        assert result.status is CheckStatus.OK and result.details["state"] == "up"
        # Headless while the kiosk holds the port: a warning, not a fault.
        code, check = diagnose(tmp_path)
        assert (code, check["status"]) == (0, "warn"), check
        assert "held by another program" in check["summary"]
    finally:
        watcher.stop()
        scanner.stop()


def test_test_scan_shows_only_the_length(tmp_path):
    settings = settings_for(tmp_path, kiosk__demo=True)
    scanner = VirtualScanner(virtual_scanner_path(settings))
    try:
        ctx, got = diagnostics_context(settings), []
        check = threading.Thread(target=lambda: got.append(
            run_check(ctx, scan_test_check(timeout=10))))
        check.start()
        # The check opens its own watcher: scan once it is reading and the test waits.
        until(lambda: ctx.qr_scanner is not None and ctx.qr_scanner.test_scan_waiting
              and ctx.qr_scanner.status()["state"] == "up", 10, "the test scan waiting")
        scanner.scan(CODE)
        check.join(15)
        (result,) = got
        assert result.status is CheckStatus.OK
        assert result.details == {"chars": len(CODE)}
        assert result.summary("en") == f"Code received, {len(CODE)} characters"
        assert CODE not in json.dumps(result.to_dict("en"))
        nothing = run_check(diagnostics_context(settings), scan_test_check(timeout=0.3))
        assert nothing.status is CheckStatus.WARN
    finally:
        scanner.stop()
