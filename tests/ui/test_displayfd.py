"""Starting an X server by -displayfd: the number read within a deadline, and every way
a server can fail to give one ends in one error line with the process gone."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from kiosk.system.displayfd import DisplayFdError, start_x_server
from kiosk.system.processes import stop_process
from kiosk.ui.xvfb import Xvfb


def _python(code: str):
    """A stand-in server: Python running ``code`` with the -displayfd fd as ``fd``."""
    return lambda fd: [sys.executable, "-c", f"import os, sys, time; fd = {fd}; {code}"]


def test_a_server_that_dies_before_writing_a_number_is_reported_at_once():
    with pytest.raises(DisplayFdError) as caught:
        start_x_server(_python("sys.exit(3)"), timeout=60.0)
    # The EOF is seen, not the deadline: the exit code is known (a deadline says None).
    assert caught.value.code == 3
    assert caught.value.describe("Xorg", "see /x.log") == "Xorg exited (code 3, see /x.log)"
    assert caught.value.describe("Xvfb") == "Xvfb exited (code 3)"


def test_a_silent_server_is_stopped_at_the_deadline():
    with pytest.raises(DisplayFdError) as caught:
        start_x_server(_python("time.sleep(60)"), timeout=0.5)
    # Ended by the deadline (no exit code: it was stopped, it did not exit on its own).
    assert caught.value.code is None
    assert caught.value.describe("Xvfb") == "Xvfb did not start in time"


@pytest.mark.parametrize("answer", [b"abc\n", b"1" * 100, b"\n"])
def test_a_server_writing_no_number_is_stopped(answer):
    # The stand-in writes its answer then waits: it must be stopped, not left behind.
    code = f"os.write(fd, {answer!r}); time.sleep(60)"
    with pytest.raises(DisplayFdError, match="no display number"):
        start_x_server(_python(code), timeout=5.0)


def test_the_number_may_come_in_pieces():
    proc, display = start_x_server(
        _python("os.write(fd, b'4'); time.sleep(0.2); os.write(fd, b'2\\n'); time.sleep(60)"),
        timeout=5.0)
    try:
        assert display == ":42"
        assert proc.poll() is None
    finally:
        stop_process(proc)
    assert proc.returncode is not None


def test_no_descriptor_is_left_open():
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with pytest.raises(DisplayFdError):
            start_x_server(_python("sys.exit(1)"), timeout=5.0)
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb not installed")
def test_a_real_xvfb_gives_its_display():
    with Xvfb(320, 240) as x:
        assert x.display.startswith(":") and x.display[1:].isdigit()
        assert x.proc.poll() is None
    assert x.proc.poll() is not None
