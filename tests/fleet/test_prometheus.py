"""The shipped Prometheus rules: ``promtool check rules`` and ``promtool test rules`` pass
(in the test command), the collection examples are valid configs, and every metric the
rules use is one the kiosk really exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from kiosk import metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = DEPLOY / "kiosk_rules.yml"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

pytestmark = pytest.mark.skipif(not Path(PROMTOOL).exists(),
                                reason="promtool (Debian package prometheus) not installed")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120,
                          cwd=DEPLOY, check=False)


def test_promtool_check_rules():
    proc = _promtool("check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_promtool_test_rules():
    proc = _promtool("test", "rules", "tests/kiosk_rules_test.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_collection_examples_are_valid_prometheus_configs():
    proc = _promtool("check", "config", "--syntax-only", "outlet-prometheus.yml",
                     "terminal-agent.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _exported_names() -> set[str]:
    # Every family with a sample, after the fleet agent's gauges were set once.
    metrics.fleet_status({"readers": "ok"}, paper="ok", outbox_oldest_seconds=None,
                         clock_skew_seconds=0.0, paused=False)
    metrics.fleet_heartbeat_answered(1.0)
    metrics.technician_pin(failed=False, locked_seconds=0, alert=False)
    metrics.reader_event("card_failed")
    metrics.outbox_depth(0)
    text = generate_latest(metrics.REGISTRY).decode()
    names = set(re.findall(r"^# TYPE (\w+) \w+$", text, re.M))
    samples = set(re.findall(r"^(\w+)(?:\{| )", text, re.M))
    return names | samples


def test_every_metric_in_the_rules_is_exported():
    exported = _exported_names()
    exprs = "\n".join(line for line in RULES.read_text().splitlines()
                      if not line.strip().startswith("- name:"))  # group names
    used = set(re.findall(r"\b(kiosk_[a-z_]+)\b", exprs))
    assert used, "no kiosk metric in the rules?"
    missing = sorted(n for n in used if n not in exported)
    assert missing == [], f"rules use metrics the kiosk does not export: {missing}"
    for alert in ("KioskTerminalSilent", "KioskPrinterOutOfPaper", "KioskOutboxBackingUp",
                  "KioskOutboxTooOld", "KioskClockSkew", "KioskTechnicianLockout",
                  "KioskReaderErrorsRising", "KioskVersionDrift"):
        assert f"alert: {alert}" in RULES.read_text()


def test_every_part_of_the_heartbeat_has_a_light_gauge() -> None:
    """The agent sets one light gauge per part (kiosk.fleet.agent._lights reads every
    field of Parts that is a PartStatus): a part added to Parts must be one."""
    from kiosk.central import schemas_fleet as f

    assert all(isinstance(t, type) and issubclass(t, f.PartStatus)
               for t in (field.annotation for field in f.Parts.model_fields.values()))
