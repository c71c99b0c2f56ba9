"""KIOSK_STRICT=1 (CI) turns a missing real part from a skip into a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.strict import STRICT_ENV, skip_or_fail

REPO = Path(__file__).resolve().parents[1]


def test_skips_locally(monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no pcscd"):
        skip_or_fail("no pcscd")


def test_fails_in_ci(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="no pcscd .*KIOSK_STRICT=1"):
        skip_or_fail("no pcscd")


def test_pcscd_fixture_fails_in_ci_when_pcscd_cannot_start(tmp_path):
    """The session fixture itself, in a child pytest where pcscd and unshare are missing."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.fixtures.pcsc"]\n')
    (tmp_path / "test_x.py").write_text("def test_needs_pcscd(pcscd):\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k != STRICT_ENV}
    env.update(PATH="/nonexistent", PYTHONPATH=str(REPO))  # no pcscd, no unshare

    def run(**extra: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-o", "addopts=", str(tmp_path)], cwd=tmp_path,
                              env={**env, **extra}, capture_output=True, text=True, timeout=60)
        return proc.stdout.strip().splitlines()[-1]

    assert "1 skipped" in run()
    assert "1 error" in run(**{STRICT_ENV: "1"})
