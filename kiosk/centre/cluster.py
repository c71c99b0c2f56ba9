"""A private PostgreSQL cluster for the centre's demo, tests and bench.

Debian 12's PostgreSQL 15 (``/usr/lib/postgresql/15/bin``: ``initdb``, ``pg_ctl``). The
server refuses to run as root, so when we are root the cluster runs as the ``postgres``
user (``runuser -u postgres --``) in a directory it owns; otherwise as ourselves. It
listens on a Unix socket in its own directory and on 127.0.0.1 at a free port, with
``trust`` authentication on loopback only (the cluster lives and dies with one test run or
bench). Production never uses this: it points ``--url`` at the province's PostgreSQL.

Start-up is an ``initdb`` (about 1–2 s here) and a ``pg_ctl start -w``; a second start on
the same directory skips the ``initdb``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.errors import CliError

PG_BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"),
               Path("/usr/lib/postgresql/17/bin"))
RUN_AS = "postgres"
DATABASE = "kiosk_centre"
#: Settings for a throwaway cluster: small, quick, nothing durable is lost by a crash of
#: the machine because the cluster is thrown away with the run (the bench measures with
#: ``durable=True``: fsync and synchronous commit on, as in production).
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def pg_bin() -> Path:
    """The directory of PostgreSQL's server binaries (one line when none is installed)."""
    for path in PG_BIN_DIRS:
        if (path / "initdb").is_file():
            return path
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise CliError("PostgreSQL's server is not installed (apt-get install postgresql)")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivateCluster:
    """A running private cluster: ``url`` to connect, ``stop()`` to end it."""

    directory: Path
    port: int
    owned_dir: bool = True
    startup_seconds: float = 0.0
    _user: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """A libpq URL for the centre's database."""
        return f"postgresql://{self._user or RUN_AS}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

    def _cmd(self, *args: str) -> list[str]:
        if self._user is not None and self._user != _me():
            return ["runuser", "-u", self._user, "--", *args]
        return list(args)

    def pid(self) -> int | None:
        """The postmaster's process id."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory if we made it."""
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(self._cmd(str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-m",
                                     "immediate", "-w", "-t", "20", "stop"),
                           capture_output=True, timeout=30, check=False)
        if self.owned_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _me() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def start_cluster(directory: Path | None = None, port: int | None = None,
                  durable: bool = False, settings: dict[str, str] | None = None,
                  timeout: float = 60.0) -> PrivateCluster:
    """Start a private cluster (see the module doc) and create the centre's database."""
    started = time.monotonic()
    binaries = pg_bin()
    owned = directory is None
    root = Path(tempfile.mkdtemp(prefix="kiosk-centre-pg-")) if directory is None \
        else Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    user = RUN_AS if os.getuid() == 0 else _me()
    cluster = PrivateCluster(root, port or free_port(), owned, _user=user)
    if os.getuid() == 0:
        info = pwd.getpwnam(RUN_AS)
        os.chown(root, info.pw_uid, info.pw_gid)
        root.chmod(0o700)
    if not (cluster.data / "PG_VERSION").exists():
        run = subprocess.run(cluster._cmd(str(binaries / "initdb"), "-D", str(cluster.data),
                                          "-U", user, "--auth=trust", "-E", "UTF8",
                                          "--locale=C.UTF-8", "--no-sync"),
                             capture_output=True, text=True, timeout=timeout, check=False)
        if run.returncode != 0:
            raise CliError(f"initdb failed: {run.stderr.strip().splitlines()[-1:]}")
    options = {"listen_addresses": "127.0.0.1", "port": str(cluster.port),
               "unix_socket_directories": str(root), "max_connections": "200",
               "shared_buffers": "128MB", **({} if durable else FAST_SETTINGS),
               **(settings or {})}
    opts = " ".join(f"-c {k}={v}" for k, v in options.items())
    run = subprocess.run(cluster._cmd(str(binaries / "pg_ctl"), "-D", str(cluster.data), "-o",
                                      opts, "-l", str(root / "server.log"), "-w", "-t",
                                      str(int(timeout)), "start"),
                         capture_output=True, text=True, timeout=timeout + 5, check=False)
    if run.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-500:] \
            if (root / "server.log").exists() else run.stderr
        cluster.stop()
        raise CliError(f"PostgreSQL did not start: {log.strip().splitlines()[-1:]}")
    created = subprocess.run(cluster._cmd(str(binaries / "createdb"), "-h", "127.0.0.1",
                                          "-p", str(cluster.port), "-U",
                                          user, DATABASE),
                             capture_output=True, text=True, timeout=30, check=False)
    if created.returncode != 0 and "already exists" not in created.stderr:
        cluster.stop()
        raise CliError(f"createdb failed: {created.stderr.strip()}")
    cluster.startup_seconds = time.monotonic() - started
    return cluster
