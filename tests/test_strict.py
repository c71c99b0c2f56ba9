"""KIOSK_STRICT=1 (CI) turns a missing real part from a skip into a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.pcsc import start_private_pcscd
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


@pytest.mark.parametrize("strict", [False, True])
def test_pcscd_fixture_fails_in_ci_when_pcscd_cannot_start(tmp_path, monkeypatch, strict):
    """The session fixture's start, where pcscd and unshare cannot be found."""
    monkeypatch.setenv("PATH", "/nonexistent")
    if strict:
        monkeypatch.setenv(STRICT_ENV, "1")
    else:
        monkeypatch.delenv(STRICT_ENV, raising=False)
    expected = pytest.fail.Exception if strict else pytest.skip.Exception
    with pytest.raises(expected, match="private pcscd (not possible|did not start)"):
        start_private_pcscd(tmp_path)
