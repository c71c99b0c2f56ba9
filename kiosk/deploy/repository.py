"""The province repository: Debian's reprepro, signing each release it publishes
(``kiosk repo init|add``; docs/deploying.md, "The province repository").

Terminals reach it on the province network with apt, which checks ``InRelease`` against
the key given in their sources entry (``signed-by=``); they need no PyPI, git or clone.
The repository also carries the Debian packages a terminal's ``Depends:`` pulls in when
the terminals have no Debian mirror (``kiosk repo add`` takes any .deb).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

CODENAME = "bookworm"
COMPONENT = "main"
KEYRING = "kiosk-archive-keyring.gpg"   # the public key, exported for the terminals


class RepositoryError(RuntimeError):
    """A repository step failed; ``str()`` is one line."""


def distributions(sign_with: str, arch: str, origin: str = "province",
                  codename: str = CODENAME) -> str:
    """reprepro's ``conf/distributions``: one distribution, signed by ``sign_with``."""
    if not re.fullmatch(r"[0-9A-Fa-f]{8,40}|[^\s]+@[^\s]+", sign_with):
        raise RepositoryError(f"--sign-with {sign_with!r}: a key id, fingerprint or e-mail")
    return (f"Origin: {origin}\nLabel: kiosk\nCodename: {codename}\n"
            f"Architectures: {arch}\nComponents: {COMPONENT}\n"
            "Description: the kiosk and what terminals need, for terminals without the "
            "internet\n"
            f"SignWith: {sign_with}\n")


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None,
         timeout: float = 600) -> str:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except FileNotFoundError:
        raise RepositoryError(f"{cmd[0]} is not installed (apt-get install reprepro gnupg)"
                              ) from None
    except subprocess.TimeoutExpired:
        raise RepositoryError(f"{what} timed out") from None
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        raise RepositoryError(f"{what} failed: {last[:200]}")
    return res.stdout


def init(directory: Path, sign_with: str, arch: str, origin: str = "province",
         env: dict[str, str] | None = None) -> Path:
    """Make an empty signed repository in ``directory``; the exported public key's path."""
    conf = directory / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "distributions").write_text(distributions(sign_with, arch, origin))
    binary = subprocess.run(["gpg", "--batch", "--export", sign_with], capture_output=True,
                            env=env, timeout=60).stdout
    if not binary:
        raise RepositoryError(f"gpg has no public key {sign_with!r}")
    keyring = directory / KEYRING
    keyring.write_bytes(binary)
    _run(["reprepro", "-b", str(directory), "export", CODENAME], "reprepro export", env)
    return keyring


def add(directory: Path, debs: list[Path], env: dict[str, str] | None = None) -> None:
    """Publish ``debs`` (a newer version replaces the one listed), re-signing the index."""
    if not debs:
        raise RepositoryError("no .deb to add")
    _run(["reprepro", "-b", str(directory), "includedeb", CODENAME, *map(str, debs)],
         "reprepro includedeb", env)


def sources_line(url: str, keyring: str = f"/etc/apt/keyrings/{KEYRING}") -> str:
    """The terminal's apt sources entry for the repository at ``url``."""
    return f"deb [signed-by={keyring}] {url} {CODENAME} {COMPONENT}\n"
