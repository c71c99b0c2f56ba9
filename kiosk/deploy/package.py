"""Build the kiosk's Debian package: ``kiosk package`` (``./kiosk.sh package``).

``kiosk_<version>_<arch>.deb`` holds one release and everything it needs from Python:

- ``/opt/kiosk/releases/<version>/app``: the source (kiosk, config, assets with the
  Simplified Chinese faces already cut out, deploy, docs);
- ``/opt/kiosk/releases/<version>/wheels``: a wheelhouse of every dependency, built here
  (pyscard and evdev compile on this machine, which has the compilers), and
  ``requirements.txt`` pinning each wheel by name, version and SHA-256;
- ``/lib/systemd/system/kiosk.service``, ``/etc/X11/kiosk*.conf`` (conffiles),
  ``/usr/sbin/kiosk-provision``, the no-console drop-in templates, the docs.

Why a wheelhouse and not dh-virtualenv: the maintainer script makes the release's venv
on the terminal, with the terminal's own ``python3``, from the wheels in the package
(``pip --no-index --require-hashes``: no network, no compiler, and only the wheels the
signed package carries). Nothing is relocated (dh-virtualenv builds the venv at build time
and rewrites its paths), and the build needs only ``dpkg-deb`` and pip, not a debhelper
source package. The cost: the venv's files are not in dpkg's file list (the maintainer
scripts remove them), and making a venv takes about 20 s; an upgrade whose wheels did not
change links the previous release's venv instead (about 1 s).

``Depends:`` is ``deploy/packages/terminal.txt``: what a terminal runs, no compiler,
browser, xdotool, prometheus or vpcd.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "kiosk"
MAINTAINER = "Social security card kiosk team <kiosk-team@invalid>"
APP_PARTS = ("kiosk", "config", "assets", "deploy", "docs", "pyproject.toml", "README.md")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache",
                                "*.egg-info", ".mypy_cache")
# Beside Depends: a box without a GPU driver for its screen (or without a screen, as the
# booted-container check) runs Xorg on the dummy driver: kiosk-provision --display dummy.
RECOMMENDS = ("xserver-xorg-video-dummy",)
DEBIAN_VERSION = re.compile(r"[0-9][A-Za-z0-9.+~-]*")
WHEEL_NAME = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl")
PIP_TIMEOUT_S = 1800
SCRIPTS = ("preinst", "postinst", "prerm", "postrm")
CONFFILES = ("/etc/X11/kiosk.conf", "/etc/X11/kiosk-dummy.conf")


class PackageError(RuntimeError):
    """The package could not be built; ``str()`` is one line."""


def read_list(path: Path) -> list[str]:
    """Entries of a package list (deploy/packages/*.txt): ``name [(relation)]``."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = " ".join(line.split("#", 1)[0].split())
        if entry:
            out.append(entry)
    return out


def package_names(path: Path) -> list[str]:
    """The bare package names of a list, each once, in order."""
    names: list[str] = []
    for entry in read_list(path):
        if (name := entry.split()[0]) not in names:
            names.append(name)
    return names


def source_version(src: Path) -> str:
    """``kiosk.__version__`` of the tree at ``src``: the package's version."""
    init = src / "kiosk" / "__init__.py"
    try:
        m = re.search(r'__version__\s*=\s*"([^"]+)"', init.read_text(encoding="utf-8"))
    except OSError:
        m = None
    if not m:
        raise PackageError(f"{src} is not a kiosk source tree (no kiosk/__init__.py version)")
    return m.group(1)


def dependencies(src: Path) -> list[str]:
    """The release's Python dependencies (pyproject.toml ``[project] dependencies``)."""
    try:
        project = tomllib.loads((src / "pyproject.toml").read_text(encoding="utf-8"))
        return [str(d) for d in project["project"]["dependencies"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PackageError(f"{src}/pyproject.toml: no [project] dependencies ({exc})") from None


def build_wheels(src: Path, dest: Path, wheelhouse: Path | None = None) -> list[Path]:
    """Every dependency as a wheel in ``dest``: from ``wheelhouse`` (an offline build) or
    built/fetched by pip (the index is needed here, never on the terminal). The kiosk
    itself is not one of them: ``app/`` is the release's code."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check",
           "--wheel-dir", str(dest), *dependencies(src)]
    if wheelhouse is not None:
        cmd[4:4] = ["--no-index", "--find-links", str(wheelhouse)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        raise PackageError(f"pip wheel failed: {last[:200]}")
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise PackageError("pip wheel made no wheels")
    return wheels


def requirements(wheels: list[Path]) -> str:
    """One pinned line per wheel: ``name==version --hash=sha256:…`` (pip's hash mode)."""
    lines = []
    for wheel in wheels:
        m = WHEEL_NAME.fullmatch(wheel.name)
        if not m:
            raise PackageError(f"not a wheel file name: {wheel.name}")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(f"{m['name']}=={m['version']} --hash=sha256:{digest}")
    return "\n".join(lines) + "\n"


def architecture() -> str:
    """This machine's Debian architecture (the wheels are built for it)."""
    res = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                         timeout=30)
    if res.returncode != 0:
        raise PackageError("dpkg --print-architecture failed: is this Debian?")
    return res.stdout.strip()


@dataclass(frozen=True)
class Built:
    """A built package: its path and what went into it."""

    path: Path
    version: str
    wheels: int


class Builder:
    """Stages one release under a temporary root and runs ``dpkg-deb --build``."""

    def __init__(self, src: Path, *, version: str | None = None,
                 wheelhouse: Path | None = None) -> None:
        self.src = src
        self.version = version or source_version(src)
        if not DEBIAN_VERSION.fullmatch(self.version):
            raise PackageError(f"version {self.version!r} is not a Debian version")
        self.wheelhouse = wheelhouse
        self.deploy = src / "deploy"

    def build(self, out: Path) -> Built:
        """Build the package into ``out``; what was built."""
        out.mkdir(parents=True, exist_ok=True)
        arch = architecture()
        target = out / f"{PACKAGE}_{self.version}_{arch}.deb"
        with tempfile.TemporaryDirectory(prefix="kiosk-package-") as tmp:
            stage = Path(tmp) / "root"
            release = stage / "opt" / "kiosk" / "releases" / self.version
            self._app(release / "app")
            wheels = build_wheels(self.src, release / "wheels", self.wheelhouse)
            (release / "wheels" / "requirements.txt").write_text(requirements(wheels))
            self._system(stage)
            self._debian(stage, arch)
            _normalise_modes(stage)
            res = subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build",
                                  str(stage), str(target)],
                                 capture_output=True, text=True, timeout=1800)
            if res.returncode != 0:
                raise PackageError(f"dpkg-deb failed: {res.stderr.strip()[-200:]}")
        return Built(target, self.version, len(wheels))

    # --- the parts ----------------------------------------------------------------------
    def _app(self, app: Path) -> None:
        app.mkdir(parents=True)
        for part in APP_PARTS:
            p = self.src / part
            if p.is_dir():
                shutil.copytree(p, app / part, ignore=IGNORE)
            elif p.exists():
                shutil.copy2(p, app / part)
        # The UI's Chinese faces, cut from Debian's Noto CJK here (git does not hold them;
        # a release without them exits at start): the terminal needs no fonts-noto-cjk.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        res = subprocess.run([sys.executable, "-m", "kiosk.ui.fonts", "--quiet"],
                             cwd=app, env={**env, "PYTHONPATH": str(app)},
                             capture_output=True, text=True, timeout=600)
        if res.returncode != 0:
            raise PackageError(f"fonts: {res.stderr.strip()[-200:]}")

    def _system(self, stage: Path) -> None:
        copy = [
            (self.deploy / "systemd" / "kiosk.service", "lib/systemd/system/kiosk.service"),
            (self.deploy / "xorg" / "kiosk.conf", "etc/X11/kiosk.conf"),
            (self.deploy / "xorg" / "kiosk-dummy.conf", "etc/X11/kiosk-dummy.conf"),
            (self.deploy / "debian" / "kiosk-provision", "usr/sbin/kiosk-provision"),
            (self.src / "docs" / "deploying.md", "usr/share/doc/kiosk/deploying.md"),
            (self.deploy / "debian" / "copyright", "usr/share/doc/kiosk/copyright"),
        ]
        for source, dest in copy:
            (stage / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, stage / dest)
        (stage / "usr/sbin/kiosk-provision").chmod(0o755)

    def _debian(self, stage: Path, arch: str) -> None:
        debian = stage / "DEBIAN"
        debian.mkdir()
        size_kib = sum(p.lstat().st_size for p in stage.rglob("*") if p.is_file()) // 1024
        depends = ", ".join(read_list(self.deploy / "packages" / "terminal.txt"))
        control = (f"Package: {PACKAGE}\nVersion: {self.version}\nArchitecture: {arch}\n"
                   f"Maintainer: {MAINTAINER}\nInstalled-Size: {size_kib}\n"
                   f"Depends: {depends}\nRecommends: {', '.join(RECOMMENDS)}\n"
                   "Section: misc\nPriority: optional\n"
                   "Description: social security card self-service kiosk\n"
                   " A fullscreen touch-screen kiosk for social security cards: pre-loss,\n"
                   " replacement status and guidance, with PC/SC readers, a signed client\n"
                   " of the central card service and a durable outbox. Runs its own X\n"
                   " session under systemd (kiosk.service); set up with kiosk-provision.\n")
        (debian / "control").write_text(control)
        (debian / "conffiles").write_text("\n".join(CONFFILES) + "\n")
        for name in SCRIPTS:
            text = (self.deploy / "debian" / name).read_text(encoding="utf-8")
            (debian / name).write_text(text.replace("@VERSION@", self.version))
            (debian / name).chmod(0o755)
        sums = [f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(stage)}"
                for p in sorted(stage.rglob("*"))
                if p.is_file() and not p.is_symlink() and "DEBIAN" not in p.parts]
        (debian / "md5sums").write_text("\n".join(sums) + "\n")


def _normalise_modes(stage: Path) -> None:
    """Directories 0755, files 0644 unless executable (0755): what a checkout's umask or a
    wheel's own modes left must not reach the terminal."""
    for p in [stage, *stage.rglob("*")]:
        if p.is_symlink():
            continue
        if p.is_dir():
            p.chmod(0o755)
        else:
            p.chmod(0o755 if p.stat().st_mode & 0o111 else 0o644)
