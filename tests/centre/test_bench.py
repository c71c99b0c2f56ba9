"""``kiosk-centre bench`` runs end to end on its own private cluster and reports every
figure the README records (a tiny run: the figures themselves are the bench's job)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_a_small_bench_reports_every_figure():
    run = subprocess.run([sys.executable, "-m", "kiosk.centre.cli", "bench", "--terminals",
                          "40", "--duration", "4", "--rate", "10", "--heartbeat-seconds",
                          "2", "--workers", "1", "--json"],
                         capture_output=True, text=True, timeout=240, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["errors_total"] == 0, report["operations"]
    assert set(report["operations"]) == {"heartbeat", "lookup", "card_status",
                                         "essc_verify", "pre_loss"}
    assert report["operations"]["heartbeat"]["ok"] > 0
    for key in ("p50_ms", "p95_ms", "p99_ms", "rate_per_s"):
        assert all(key in o for o in report["operations"].values())
    assert set(report["cpu_share_of_one_core"]) == {"centre", "postgres", "load_generator"}
    for key in ("db_growth_per_day_mb", "history_per_1000_terminals_per_day_mb",
                "postgres_startup_s", "page", "load_average_1m"):
        assert key in report
    bad = subprocess.run([sys.executable, "-m", "kiosk.centre.cli", "bench", "--terminals",
                          "0"], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
