"""A private ``pcscd`` with the vpcd driver, isolated from the system one.

Used by the test fixtures, the benchmark and the demo so that each run has its own
daemon, its own socket and its own pair of vpcd TCP ports (measured recipe, see
``docs/pcsc.md``): a reader.conf dir whose vpcd ``DEVICENAME`` is
``/dev/null:0xPPPP``, then ``pcscd`` in a private mount namespace where ``RUNDIR`` is
bind-mounted on ``/run/pcscd``. Clients reach it with ``PCSCLITE_CSOCK_NAME`` set to
``RUNDIR/pcscd.comm`` *before* pyscard first connects (libpcsclite reads it once).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the starting thread dies, so a killed
    test run or demo does not leave its pcscd behind (setsid, unshare and ``sh -c
    'exec …'`` all keep the same process, and the setting survives exec)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: clean-up relies on stop()
        pass


class PcscdError(RuntimeError):
    """The private pcscd could not be started (missing binary, driver, or unshare)."""


def free_port_pair() -> int:
    """A TCP port ``p`` such that ``p`` and ``p + 1`` are both free on all interfaces
    (vpcd listens on both, on 0.0.0.0)."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("0.0.0.0", 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("0.0.0.0", port + 1))
                except OSError:
                    continue
            return port
    raise PcscdError("no free pair of TCP ports for vpcd")


def _tool(name: str) -> str | None:
    """A system tool, also looked up in the sbin dirs a non-root PATH may lack."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")


def missing_requirements() -> str | None:
    """Why a private pcscd cannot run here, or None when it can."""
    for tool in ("pcscd", "unshare", "setsid"):
        if _tool(tool) is None:
            return f"{tool} is not installed"
    if not Path(VPCD_DRIVER).exists():
        return f"vpcd driver missing ({VPCD_DRIVER}); install vsmartcard-vpcd"
    return None


class PrivatePcscd:
    """One private pcscd; :meth:`start`, :meth:`stop`, :meth:`restart`, :meth:`kill`.

    Start it from a long-lived thread (the main thread): the daemon is told to exit
    when the thread that started it ends, so nothing outlives a killed run.

    ``vpcd_port`` is the first of the two vpcd ports ("Virtual PCD 00 00" on it,
    "Virtual PCD 00 01" on the next one). The port and directories stay the same across
    restarts so clients and virtual cards can reconnect.
    """

    def __init__(self, workdir: Path, vpcd_port: int | None = None, *,
                 private_net: bool = False) -> None:
        self.workdir = Path(workdir)
        # private_net: pcscd (and vpcd's listening ports) in a network namespace of their
        # own with only a loopback interface: nothing reachable from the network.
        self.private_net = private_net
        self.vpcd_port = vpcd_port or free_port_pair()
        self.rundir = self.workdir / "run"
        self.confdir = self.workdir / "reader.conf.d"
        self.logfile = self.workdir / "pcscd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> str:
        return str(self.rundir / "pcscd.comm")

    def write_config(self, with_vpcd: bool = True) -> None:
        """(Re)write the reader config; without vpcd the daemon has no readers at all."""
        self.confdir.mkdir(parents=True, exist_ok=True)
        conf = self.confdir / "vpcd"
        if with_vpcd:
            conf.write_text(
                'FRIENDLYNAME "Virtual PCD"\n'
                f"DEVICENAME   /dev/null:0x{self.vpcd_port:04X}\n"
                f"LIBPATH      {VPCD_DRIVER}\n"
                f"CHANNELID    0x{self.vpcd_port:04X}\n")
        elif conf.exists():
            conf.unlink()

    def start(self, with_vpcd: bool = True, timeout: float = 5.0) -> None:
        """Start the daemon and wait until its socket accepts connections."""
        why = missing_requirements()
        if why:
            raise PcscdError(why)
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.write_config(with_vpcd)
        # Stale files after a SIGKILL: pcscd would refuse to start with them.
        for name in ("pcscd.comm", "pcscd.pid"):
            (self.rundir / name).unlink(missing_ok=True)
        # /run/pcscd must exist as a mount point (a fresh boot without pcscd lacks it).
        inner = (f"mkdir -p /run/pcscd && mount --bind {self.rundir} /run/pcscd && "
                 f"exec {_tool('pcscd')} -f -i -c {self.confdir}")
        unshare = [_tool("unshare") or "unshare", "-m"]
        if self.private_net:
            if _tool("ip") is None:
                raise PcscdError("ip is not installed (iproute2): needed for a private network")
            unshare.append("--net")
            inner = f"{_tool('ip')} link set lo up && {inner}"
        log = self.logfile.open("ab")
        self.proc = subprocess.Popen(
            [_tool("setsid") or "setsid", *unshare, "--propagation", "private",
             "sh", "-c", inner],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PcscdError(f"pcscd exited with {self.proc.returncode}; "
                                 f"see {self.logfile}")
            if self._socket_ready():
                return
            time.sleep(0.02)
        raise PcscdError(f"pcscd did not come up within {timeout:g} s; see {self.logfile}")

    def _socket_ready(self) -> bool:
        path = self.socket_path
        if not os.path.exists(path):
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(path)
            except OSError:
                return False
        return True

    def netns_path(self) -> str | None:
        """The daemon's network namespace (``/proc/PID/ns/net``) when it has a private
        one and runs; None otherwise. It changes with every restart."""
        if not self.private_net or not self.running or self.proc is None:
            return None
        return f"/proc/{self.proc.pid}/ns/net"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, sig: int, timeout: float) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def stop(self, timeout: float = 5.0) -> None:
        """Orderly stop (SIGTERM), as a service manager would."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Crash (SIGKILL): leaves stale files behind like a real crash."""
        self._signal(signal.SIGKILL, 5.0)

    def restart(self, with_vpcd: bool = True) -> None:
        self.stop()
        self.start(with_vpcd)

    def rescan(self, with_vpcd: bool) -> None:
        """Rewrite the reader config and ask pcscd to re-read it (SIGUSR1), which adds
        or removes the vpcd readers live: our stand-in for plugging/unplugging a reader."""
        self.write_config(with_vpcd)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)

    def use(self) -> None:
        """Point this process's PC/SC clients at this daemon (before pyscard connects)."""
        os.environ[SOCKET_ENV] = self.socket_path
