"""A real ``kiosk run`` subprocess on a private X display, watched through a real
sd_notify datagram socket (what systemd would bind)."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from tests.deploy.helpers import REPO

W, H = 1024, 600
UCRED = struct.Struct("3i")   # struct ucred: pid, uid, gid


class NotifySocket:
    """A bound AF_UNIX datagram socket, as systemd's; ``name`` goes in NOTIFY_SOCKET."""

    def __init__(self, path: Path | None = None, abstract: str = "") -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            self.sock.bind("\0" + abstract)
            self.name = "@" + abstract
        else:
            assert path is not None
            self.sock.bind(str(path))
            self.name = str(path)
        # systemd checks who sent a message (NotifyAccess=): so does this socket.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.messages: list[tuple[float, str]] = []
        self.senders: list[tuple[int, str]] = []   # (pid, message)

    def wait_for(self, line: str, timeout: float) -> float:
        """Collect datagrams until one holds ``line``; its arrival time (monotonic)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                raw, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(UCRED.size))
            except TimeoutError:
                break
            now = time.monotonic()
            data = raw.decode()
            for level, kind, cred in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    self.senders.append((UCRED.unpack(cred[:UCRED.size])[0], data))
            self.messages.append((now, data))
            if line in data.splitlines():
                return now
        raise AssertionError(f"no {line} in {timeout}s; got {[m for _, m in self.messages]}")

    def close(self) -> None:
        self.sock.close()


def start_kiosk(env: dict[str, str], display: str, notify: NotifySocket,
                *args: str) -> subprocess.Popen[str]:
    """``kiosk run`` in its own process group, window W x H at 0,0 on ``display``."""
    full = {**env, "DISPLAY": display, "NOTIFY_SOCKET": notify.name,
            "KIOSK__DISPLAY__WIDTH": str(W), "KIOSK__DISPLAY__HEIGHT": str(H)}
    return subprocess.Popen([sys.executable, "-m", "kiosk", "run", *args], env=full,
                            cwd=REPO, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def stop(proc: subprocess.Popen[str], timeout: float = 15) -> str:
    """SIGTERM, wait, return stderr (kill if it does not stop)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err
