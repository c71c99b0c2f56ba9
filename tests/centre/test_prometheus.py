"""The centre's alert rules: ``promtool check rules`` and ``promtool test rules`` pass, and
every series they use is one the centre exports (kiosk/centre/metrics.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.centre import metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = DEPLOY / "centre_rules.yml"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

pytestmark = pytest.mark.skipif(not Path(PROMTOOL).exists(),
                                reason="promtool (Debian package prometheus) not installed")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120,
                          cwd=DEPLOY, check=False)


def test_promtool_check_and_test_the_centre_rules():
    check = _promtool("check", "rules", str(RULES))
    assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
    test = _promtool("test", "rules", "tests/centre_rules_test.yml")
    assert test.returncode == 0 and "SUCCESS" in test.stdout, test.stdout + test.stderr


def test_every_centre_series_in_the_rules_is_exported():
    exprs = "\n".join(re.findall(r"expr: (?:>\n)?((?:.*\n)+?)\s+(?:for|labels):",
                                  RULES.read_text(encoding="utf-8")))
    used = set(re.findall(r"\bkiosk_centre_[a-z_]+", exprs))
    exported = set(re.findall(r"\bkiosk_centre_[a-z_]+", Path(metrics.__file__).read_text(
        encoding="utf-8")))
    assert used and used <= exported, used - exported
