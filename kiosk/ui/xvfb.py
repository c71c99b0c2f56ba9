"""Start a private Xvfb on a free display number (chosen by Xvfb itself: -displayfd)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal

from kiosk.system.displayfd import DisplayFdError, start_x_server
from kiosk.system.processes import stop_process


class XvfbError(RuntimeError):
    pass


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the starting process dies, so a crashed
    test run or kiosk never leaves an Xvfb behind (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


class Xvfb:
    """A running Xvfb; ``display`` is ``":N"``. Use as a context manager or call stop()."""

    def __init__(self, width: int = 1920, height: int = 1080, depth: int = 24,
                 timeout: float = 10.0) -> None:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise XvfbError("Xvfb is not installed (Debian package xvfb; ./kiosk.sh setup)")
        # -displayfd: Xvfb picks a free display and writes its number: no races with
        # other test sessions on the same machine.
        try:
            self.proc, self.display = start_x_server(
                lambda fd: [exe, "-displayfd", str(fd), "-screen", "0",
                            f"{width}x{height}x{depth}", "-nolisten", "tcp", "-noreset"],
                timeout, preexec_fn=_die_with_parent)
        except DisplayFdError as exc:
            raise XvfbError(exc.describe("Xvfb")) from None

    def stop(self) -> None:
        stop_process(self.proc)

    def __enter__(self) -> Xvfb:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def ensure_display(width: int = 1920, height: int = 1080) -> Xvfb | None:
    """If ``DISPLAY`` is unset, start an Xvfb and set ``DISPLAY``; return it (or None)."""
    if os.environ.get("DISPLAY"):
        return None
    xvfb = Xvfb(width, height)
    os.environ["DISPLAY"] = xvfb.display
    return xvfb
