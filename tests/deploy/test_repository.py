"""The province repository for real: reprepro publishes the built kiosk package signed by
a gpg key, and apt (with a private root, as on a terminal without the internet) takes it
only with that key; another key, an unsigned or a tampered index are refused."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.cli import clean_env, run_kiosk

pytestmark = pytest.mark.skipif(not (shutil.which("reprepro") and shutil.which("gpg")
                                     and shutil.which("apt-get")),
                                reason="needs reprepro, gnupg and apt (./kiosk.sh setup)")


def gpg_home(path: Path, name: str) -> tuple[dict[str, str], str]:
    """A fresh keyring with one signing key: (environment, fingerprint)."""
    path.mkdir(mode=0o700)
    env = {**clean_env(), "GNUPGHOME": str(path)}
    subprocess.run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                    "--quick-gen-key", f"{name} <repo@province.invalid>", "ed25519", "sign",
                    "never"], env=env, check=True, capture_output=True, timeout=120)
    out = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys"], env=env,
                         check=True, capture_output=True, text=True, timeout=60).stdout
    fpr = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr"))
    return env, fpr


class Apt:
    """apt-get/apt-cache on a private root whose only source is the repository."""

    def __init__(self, root: Path, repo: Path, keyring: Path) -> None:
        self.root = root
        for d in ("etc/apt/sources.list.d", "etc/apt/apt.conf.d", "etc/apt/preferences.d",
                  "var/lib/apt/lists/partial", "var/cache/apt/archives/partial",
                  "var/lib/dpkg"):
            (root / d).mkdir(parents=True, exist_ok=True)
        (root / "var/lib/dpkg/status").touch()
        (root / "etc/apt/sources.list").touch()
        (root / "etc/apt/sources.list.d/province.list").write_text(
            f"deb [signed-by={keyring}] file:{repo} bookworm main\n")

    def __call__(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tool, "-o", f"Dir={self.root}",
                               "-o", f"Dir::State::status={self.root}/var/lib/dpkg/status",
                               # pytest's temp dirs are private to root: no _apt sandbox
                               "-o", "APT::Sandbox::User=root",
                               "-o", "Debug::NoLocking=1", *args], capture_output=True,
                              text=True, timeout=300, cwd=self.root,
                              env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8"})


@pytest.fixture(scope="module")
def province(kiosk_debs, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("province")
    env, fpr = gpg_home(tmp / "gnupg", "Province kiosk repository")
    repo = tmp / "repo"
    res = run_kiosk(["repo", "init", str(repo), "--sign-with", fpr], env)
    assert res.returncode == 0, res.stderr
    res = run_kiosk(["repo", "add", str(repo), str(kiosk_debs["good"])], env)
    assert res.returncode == 0, res.stderr
    yield repo, env, fpr
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, timeout=30)


def test_apt_takes_the_signed_release_and_then_the_next(province, kiosk_debs, tmp_path):
    repo, env, _ = province
    apt = Apt(tmp_path / "apt", repo, repo / "kiosk-archive-keyring.gpg")
    res = apt("apt-get", "update")
    assert res.returncode == 0 and not [w for w in res.stderr.splitlines()
                                        if w.startswith(("W:", "E:"))], res.stderr
    assert "Candidate: 1.0.0" in apt("apt-cache", "policy", "kiosk").stdout
    # The next release is published; the terminal sees it as the upgrade.
    assert run_kiosk(["repo", "add", str(repo), str(kiosk_debs["next"])], env).returncode == 0
    assert apt("apt-get", "update").returncode == 0
    assert "Candidate: 1.0.1" in apt("apt-cache", "policy", "kiosk").stdout
    got = apt("apt-get", "download", "kiosk")
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "apt" / kiosk_debs["next"].name).read_bytes() == \
        kiosk_debs["next"].read_bytes()


def test_apt_refuses_another_key_and_a_tampered_index(province, tmp_path):
    repo, _, _ = province
    _, other = gpg_home(tmp_path / "other", "Someone else")
    keyring = tmp_path / "other.gpg"
    keyring.write_bytes(subprocess.run(["gpg", "--batch", "--export", other],
                                       env={**clean_env(), "GNUPGHOME": str(tmp_path / "other")},
                                       capture_output=True, timeout=60, check=True).stdout)
    res = Apt(tmp_path / "apt1", repo, keyring)("apt-get", "update")
    assert res.returncode != 0 and "NO_PUBKEY" in res.stderr + res.stdout
    # A copy of the repository whose package index was changed after signing.
    forged = tmp_path / "forged"
    shutil.copytree(repo, forged)
    packages = forged / "dists/bookworm/main/binary-amd64/Packages"
    packages.write_text(packages.read_text().replace("Version: 1.0", "Version: 9.0"))
    (packages.with_suffix(".gz")).unlink()
    res = Apt(tmp_path / "apt2", forged, repo / "kiosk-archive-keyring.gpg")("apt-get",
                                                                            "update")
    assert res.returncode != 0 or "9.0" not in Apt(tmp_path / "apt2", forged, repo)(
        "apt-cache", "policy", "kiosk").stdout
    assert "Hash Sum mismatch" in res.stderr or "unexpected size" in res.stderr, res.stderr
