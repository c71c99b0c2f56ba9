"""The sealed terminal key: ``systemd-creds`` on the file kiosk.service loads
(``LoadCredentialEncrypted=``). The plain key only ever goes through a pipe or memory.

Under a scratch root (tests, an image being built) the root's own host key is used
(``$SYSTEMD_CREDENTIAL_SECRET``, as systemd-creds allows), never the build machine's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kiosk.deploy.layout import CREDENTIAL_NAME, Layout

TIMEOUT_S = 60


class CredsError(RuntimeError):
    """systemd-creds failed; ``str()`` is one line."""


def creds_env(layout: Layout) -> dict[str, str]:
    """The environment for systemd-creds on ``layout`` (a scratch root's own host key)."""
    env = dict(os.environ)
    if not layout.real:
        secret = layout.p("/var/lib/systemd/credential.secret")
        secret.parent.mkdir(parents=True, exist_ok=True)
        env["SYSTEMD_CREDENTIAL_SECRET"] = str(secret)
    return env


def _creds(layout: Layout, args: list[str], data: bytes | None = None) -> bytes:
    try:
        res = subprocess.run(["systemd-creds", *args], input=data, capture_output=True,
                             env=creds_env(layout), timeout=TIMEOUT_S)
    except FileNotFoundError:
        raise CredsError("systemd-creds is not installed (systemd 250 or later)") from None
    except subprocess.TimeoutExpired:
        raise CredsError(f"systemd-creds {args[0]} timed out") from None
    if res.returncode != 0:
        last = (res.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise CredsError(f"systemd-creds {args[0]} failed: {last[:160]}")
    return res.stdout


def has_tpm2() -> bool:
    """Whether systemd-creds can seal with a TPM2 here."""
    try:
        return subprocess.run(["systemd-creds", "has-tpm2"], capture_output=True,
                              timeout=TIMEOUT_S).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def seal(layout: Layout, key: bytes, with_key: str = "auto") -> None:
    """Seal ``key`` (as hex, the kiosk's format) into ``layout.credential``, root 0600."""
    target = layout.credential
    target.parent.mkdir(parents=True, exist_ok=True)
    target.parent.chmod(0o700)
    tmp = target.with_name(f".{target.name}.new")
    try:
        _creds(layout, ["encrypt", f"--name={CREDENTIAL_NAME}", f"--with-key={with_key}",
                        "-", str(tmp)], key.hex().encode())
        tmp.chmod(0o600)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def decrypted(layout: Layout) -> Iterator[Path]:
    """A private directory in memory (``/dev/shm``) holding the decrypted credential, as
    systemd gives it to the service (``$CREDENTIALS_DIRECTORY``); removed on exit. For
    the package's self-check where systemd does not run (a scratch root, an image)."""
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    directory = Path(tempfile.mkdtemp(prefix="kiosk-credentials-", dir=base))
    try:
        plain = _creds(layout, ["decrypt", f"--name={CREDENTIAL_NAME}",
                                str(layout.credential), "-"])
        path = directory / CREDENTIAL_NAME
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "wb") as fh:
            fh.write(plain)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
