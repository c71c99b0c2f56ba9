"""``kiosk bench diagnostics``: how long the technician checks take, on real parts.

Starts a private pcscd (vpcd readers, a virtual card inserted) when this machine can,
and a sandbox central service on 127.0.0.1, then times :func:`run_checks` (all parts,
in parallel) and each check alone, plus ``kiosk diagnose --json`` as a fresh process
(what a monitoring agent pays: interpreter start, imports, checks).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict

from kiosk.central.sandbox.server import start_sandbox_thread
from kiosk.cli.diagnose import diagnostics_context
from kiosk.config import load_settings
from kiosk.devices.virtual.pcscd import PrivatePcscd, missing_requirements
from kiosk.devices.virtual.slots import VirtualSlots
from kiosk.secrets import load_secrets
from kiosk.services.diagnostics import PARTS, run_check, run_checks
from kiosk.services.diagnostics.checks import CHECKS


class DiagnosticsFigures(TypedDict, total=False):
    """The figures of ``kiosk bench diagnostics`` (filled as they are measured)."""

    run_checks_median_ms: float
    run_checks_max_ms: float
    check_median_ms: dict[str, float]
    statuses: dict[str, str]
    cli_wall_median_ms: float
    cli_exit_code: int
    pcscd: str


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def run(args: argparse.Namespace) -> int:
    runs = getattr(args, "runs", None) or 10
    figures: DiagnosticsFigures = {}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-diag-") as tmp:
        data = Path(tmp)
        env = {"KIOSK__KIOSK__DATA_DIR": str(data), "KIOSK__KIOSK__LOG_DIR": str(data / "log"),
               "KIOSK__SECURITY__SECRETS_FILE": str(data / "absent.toml"),
               "KIOSK__SPEECH__PLAYER": "sox -q -t wav - -n"}
        env_demo = {**env, "KIOSK__KIOSK__DEMO": "true"}  # demo secrets
        settings = load_settings(getattr(args, "config", None), environ=env_demo)
        secrets = load_secrets(settings)
        daemon = slots = None
        if missing_requirements() is None and "PCSCLITE_CSOCK_NAME" not in os.environ:
            daemon = PrivatePcscd(data / "pcscd")
            daemon.use()
            daemon.start()
            slots = VirtualSlots(daemon.vpcd_port)
            slots.insert("normal", "ssc")
            time.sleep(0.5)  # vpcd polls its socket; let pcscd see the card
        handle = start_sandbox_thread(settings, port=0, db_path=data / "sandbox.db",
                                      secrets=secrets)
        try:
            settings = dataclasses.replace(settings, central=dataclasses.replace(
                settings.central, base_url=handle.url))
            totals: list[float] = []
            per_part: dict[str, list[float]] = {p: [] for p in PARTS}
            statuses: dict[str, str] = {}
            for _ in range(runs):
                report = run_checks(diagnostics_context(settings, secrets=secrets))
                totals.append(report.duration_ms)
                statuses = {r.part: r.status.value for r in report.results}
                for part in PARTS:  # each alone: no overlap hides a slow one
                    started = time.perf_counter()
                    run_check(diagnostics_context(settings, secrets=secrets), CHECKS[part])
                    per_part[part].append((time.perf_counter() - started) * 1000)
            figures["run_checks_median_ms"] = _median(totals)
            figures["run_checks_max_ms"] = round(max(totals), 1)
            figures["check_median_ms"] = {p: _median(v) for p, v in per_part.items()}
            figures["statuses"] = statuses
            cli_env = {**os.environ, **{k: json.dumps(v) for k, v in env.items()},
                       "KIOSK__CENTRAL__BASE_URL": json.dumps(handle.url),
                       "KIOSK__KIOSK__DEMO": "true"}
            walls = []
            for _ in range(3):
                started = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "kiosk", "diagnose", "--json"],
                                      env=cli_env, capture_output=True, text=True,
                                      timeout=120, check=False)
                walls.append((time.perf_counter() - started) * 1000)
            figures["cli_wall_median_ms"] = _median(walls)
            figures["cli_exit_code"] = proc.returncode
            figures["pcscd"] = "private" if daemon else "as configured"
        finally:
            handle.stop()
            if slots is not None:
                slots.remove()
            if daemon is not None:
                daemon.stop()
    if getattr(args, "json", False):
        print(json.dumps({"diagnostics": figures}, ensure_ascii=False))
    else:
        print(f"diagnostics ({runs} runs, pcscd {figures['pcscd']}, sandbox on loopback)")
        print(f"  all checks in parallel   median {figures['run_checks_median_ms']:7.1f} ms"
              f"   max {figures['run_checks_max_ms']:7.1f} ms")
        for part, ms in figures["check_median_ms"].items():
            print(f"  {part:10s} alone       median {ms:7.1f} ms   ({figures['statuses'][part]})")
        print(f"  kiosk diagnose --json    median {figures['cli_wall_median_ms']:7.1f} ms wall"
              f"   (exit {figures['cli_exit_code']})")
    return 0
