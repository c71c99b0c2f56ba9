"""The centre's TCP sockets as the kernel lists them (``/proc``), for readiness checks and
tests: which process holds which listening or established socket on a port. Linux only;
no psutil."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LISTEN = "0A"
ESTABLISHED = "01"


@dataclass(frozen=True)
class TcpSocket:
    """One row of ``/proc/net/tcp{,6}``: the local port and the state (hex, as listed)."""

    local_port: int
    state: str


def tcp_table(proc: Path = Path("/proc/self/net")) -> dict[int, TcpSocket]:
    """Every TCP socket of this network namespace by inode (IPv4 and IPv6)."""
    table: dict[int, TcpSocket] = {}
    for name in ("tcp", "tcp6"):
        try:
            lines = (proc / name).read_text().splitlines()[1:]
        except OSError:  # no IPv6 in this kernel
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            port = int(fields[1].rsplit(":", 1)[1], 16)
            table[int(fields[9])] = TcpSocket(port, fields[3])
    return table


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets process ``pid`` holds (empty if it is gone)."""
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def count_sockets(pid: int, port: int, state: str,
                  table: dict[int, TcpSocket] | None = None) -> int:
    """How many TCP sockets in ``state`` on local ``port`` process ``pid`` holds."""
    table = tcp_table() if table is None else table
    wanted = TcpSocket(port, state)
    return sum(1 for inode in socket_inodes(pid) if table.get(inode) == wanted)


def child_pids(pid: int) -> list[int]:
    """Process ``pid``'s children (``kiosk-centre serve``'s workers)."""
    try:
        return [int(p) for p in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def all_listening(serve_pid: int, port: int, workers: int) -> bool:
    """Whether ``kiosk-centre serve`` (``serve_pid``) has ``workers`` workers, each with
    its own socket listening on ``port``."""
    pids = child_pids(serve_pid)
    table = tcp_table()
    return len(pids) == workers and all(
        count_sockets(pid, port, LISTEN, table) == 1 for pid in pids)
