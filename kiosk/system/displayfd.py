"""Start an X server that picks its own display number (``-displayfd``).

Xorg and Xvfb both take ``-displayfd FD``: the server chooses a free display and writes
its number and a newline to FD once it accepts clients, so two sessions on one machine
never race for a number. :func:`start_x_server` runs one and waits, within a deadline,
for that line; a server that exits first, stays silent, or writes anything but a number
is stopped and reported as a :class:`DisplayFdError`.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence

from kiosk.system.processes import stop_process

MAX_ANSWER = 32  # "NNN\n"; a server that writes more is not answering -displayfd


class DisplayFdError(RuntimeError):
    """The server gave no display number: ``code`` is its exit status if it exited,
    None if it ran past the deadline or wrote something else."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code

    def describe(self, server: str, note: str = "") -> str:
        """One line for the user: ``Xorg exited (code 1, see LOG)``,
        ``Xvfb did not start in time``."""
        if str(self) == "exited":
            return f"{server} exited (code {self.code}{', ' + note if note else ''})"
        return f"{server} {self}{f' ({note})' if note else ''}"


def start_x_server(argv: Callable[[int], Sequence[str]], timeout: float, *,
                   env: Mapping[str, str] | None = None,
                   preexec_fn: Callable[[], object] | None = None,
                   ) -> tuple[subprocess.Popen[bytes], str]:
    """Run ``argv(fd)`` (a command line with ``-displayfd fd`` in it) and return the
    process and its display (``":N"``). ``env`` and ``preexec_fn`` go to Popen."""
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(list(argv(write_fd)), pass_fds=(write_fd,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=env,
                                preexec_fn=preexec_fn)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)  # the server holds its own copy; EOF here = the server is gone
    try:
        return proc, f":{_read_number(read_fd, proc, time.monotonic() + timeout)}"
    except BaseException:
        stop_process(proc)
        raise
    finally:
        os.close(read_fd)


def _read_number(read_fd: int, proc: subprocess.Popen[bytes], deadline: float) -> int:
    buf = b""
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read_fd], [], [], left)[0]:
            raise DisplayFdError("did not start in time")
        chunk = os.read(read_fd, 64)
        if not chunk:
            try:  # the pipe closes as the server exits: a moment for its status
                code: int | None = proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
            raise DisplayFdError("exited", code)
        buf += chunk
        if len(buf) > MAX_ANSWER:
            break
    text = buf.strip()
    if not text.isdigit() or len(buf) > MAX_ANSWER:
        raise DisplayFdError("wrote no display number")
    return int(text)
