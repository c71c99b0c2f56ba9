"""Start a private Xvfb on a free display number (chosen by Xvfb itself: -displayfd)."""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import subprocess
import time


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
        read_fd, write_fd = os.pipe()
        # -displayfd: Xvfb picks a free display and writes its number: no races with
        # other test sessions on the same machine.
        self.proc = subprocess.Popen(
            [exe, "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x{depth}",
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent)
        os.close(write_fd)
        buf = b""
        deadline = time.monotonic() + timeout
        try:
            while not buf.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                    raise XvfbError("Xvfb did not start in time")
                chunk = os.read(read_fd, 64)
                if not chunk:
                    raise XvfbError(f"Xvfb exited (code {self.proc.poll()})")
                buf += chunk
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(read_fd)
        self.display = f":{int(buf.strip())}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

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
