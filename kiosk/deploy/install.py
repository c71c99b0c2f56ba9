"""Install, upgrade, roll back and uninstall the kiosk under a root ("/" on a terminal).

What goes where, and why the modes (README "Deploying a terminal"):

- ``/opt/kiosk/<version>/app`` (the source) and ``/opt/kiosk/<version>/venv``, one per
  version, root-owned 0755; ``/opt/kiosk/current`` is a symlink switched atomically;
- ``/etc/kiosk/`` root:kiosk 0750: ``kiosk.toml`` (the site's settings, written once, then
  the site's own) and ``sites/``, root:kiosk 0640; ``secrets.toml.template`` 0640. The
  real ``secrets.toml`` is the operator's: owner kiosk, 0400 (the kiosk refuses a secrets
  file any group can read);
- ``/var/lib/kiosk`` (outbox, lock-outs) and ``/var/log/kiosk``: kiosk:kiosk 0700;
- ``/etc/systemd/system/kiosk.service`` and ``/etc/X11/kiosk.conf``, root 0644.

Every path created is recorded in ``/opt/kiosk/install-manifest.json``; ``uninstall``
removes exactly those (data dirs only when empty: the outbox is never deleted silently).
Under a scratch ``--root`` no user is created and nothing is chowned: the manifest says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.deploy.layout import GROUPS, USER, Layout

IGNORE = shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", "*.pyc", "tests",
                                ".pytest_cache", ".ruff_cache", "*.egg-info")
APP_PARTS = ("kiosk", "config", "assets", "deploy", "docs", "pyproject.toml", "README.md",
             "kiosk.sh")
SELF_CHECK_PARTS = ("config", "disk")
SELF_CHECK_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30
# After a real install: the kiosk starts at the next boot; the reader socket is enabled
# and started now, so pcscd (socket-activated) answers the kiosk's first connect.
ENABLE_COMMANDS = (("systemctl", "daemon-reload"),
                   ("systemctl", "enable", "kiosk.service"),
                   ("systemctl", "enable", "--now", "pcscd.socket"))


# Before uninstall removes anything: the service stopped and no longer wanted by
# graphical.target (no dangling link).
DISABLE_COMMANDS = (("systemctl", "disable", "--now", "kiosk.service"),)


class InstallError(RuntimeError):
    """An install step failed; ``str()`` is one line."""


@dataclass
class Manifest:
    """What the installer added, in order (undone in reverse)."""

    path: Path
    entries: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, list(data["entries"]), list(data.get("notes", [])))
        except (ValueError, KeyError, TypeError) as exc:
            raise InstallError(f"unreadable install manifest {path}: {exc}") from None

    def add(self, kind: str, path: Path) -> None:
        entry = {"kind": kind, "path": str(path)}
        if entry not in self.entries:
            self.entries.append(entry)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"entries": self.entries, "notes": self.notes}, indent=1))
        tmp.replace(self.path)


def source_version(src: Path) -> str:
    """``<__version__>-<hash of the sources>``: the same tree installs into the same dir."""
    init = src / "kiosk" / "__init__.py"
    try:
        m = re.search(r'__version__\s*=\s*"([^"]+)"', init.read_text(encoding="utf-8"))
    except OSError:
        m = None
    if not m:
        raise InstallError(f"{src} is not a kiosk source tree (no kiosk/__init__.py version)")
    digest = hashlib.sha256()
    for path in sorted((src / "kiosk").rglob("*.py")) + sorted((src / "config").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(src)).encode() + b"\0" + path.read_bytes())
    return f"{m.group(1)}-{digest.hexdigest()[:10]}"


class Installer:
    """One install/upgrade/uninstall run under ``layout.root``."""

    def __init__(self, layout: Layout, *, deps_from: Path | None = None,
                 restart: bool = True) -> None:
        self.layout = layout
        self.real = layout.root == Path("/")
        self.deps_from = deps_from
        self.restart_service = restart and self.real
        self.manifest = Manifest.load(layout.manifest)
        self.log: list[str] = []

    # --- pieces -------------------------------------------------------------------------
    def _mkparents(self, path: Path) -> None:
        """Create ``path`` and missing parents, each recorded (uninstall removes them)."""
        missing = [p for p in [path, *path.parents] if not p.exists()]
        for p in reversed(missing):
            p.mkdir()
            self.manifest.add("dir", p)

    def _mkdir(self, path: Path, mode: int, owner: str = "root", group: str = "root") -> None:
        self._mkparents(path)
        path.chmod(mode)
        self._chown(path, owner, group)

    def _chown(self, path: Path, owner: str, group: str) -> None:
        if self.real:
            shutil.chown(path, owner, group)

    def _write(self, path: Path, text: str, mode: int, owner: str = "root",
               group: str = "root", keep: bool = False) -> None:
        """Write a file (``keep``: never overwrite the site's own edits)."""
        if keep and path.exists():
            return
        self._mkparents(path.parent)
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
        self._chown(path, owner, group)
        self.manifest.add("file", path)

    def ensure_user(self) -> None:
        if not self.real:
            self.manifest.note(f"scratch root: user {USER} not created, nothing chowned "
                               f"(groups would be {', '.join(GROUPS)})")
            return
        exists = subprocess.run(["id", "-u", USER], capture_output=True).returncode == 0
        groups = [g for g in GROUPS
                  if subprocess.run(["getent", "group", g], capture_output=True).returncode == 0]
        if not exists:
            subprocess.run(["useradd", "--system", "--home-dir", "/var/lib/kiosk",
                            "--no-create-home", "--shell", "/usr/sbin/nologin",
                            "--user-group", USER], check=True)
            self.manifest.add("user", Path(USER))
        subprocess.run(["usermod", "--groups", ",".join(groups), USER], check=True)

    def install_version(self, src: Path) -> str:
        """Copy ``src`` and make its venv in ``/opt/kiosk/<version>``; the version."""
        version = source_version(src)
        vdir = self.layout.version_dir(version)
        self._mkdir(self.layout.opt, 0o755)
        if (vdir / ".complete").exists():
            return version
        if vdir.exists():
            shutil.rmtree(vdir)  # a half-finished earlier attempt
        app = vdir / "app"
        app.mkdir(parents=True)
        for part in APP_PARTS:
            p = src / part
            if p.is_dir():
                shutil.copytree(p, app / part, ignore=IGNORE)
            elif p.exists():
                shutil.copy2(p, app / part)
        self._venv(vdir)
        self._fonts(vdir)
        (vdir / ".complete").write_text(version)
        self.manifest.add("tree", vdir)
        self.log.append(f"installed {version}")
        return version

    def _venv(self, vdir: Path) -> None:
        base = getattr(sys, "_base_executable", sys.executable)
        venv = vdir / "venv"
        pip = self.deps_from is None
        cmd = [base, "-m", "venv", *([] if pip else ["--without-pip"]), str(venv)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        site = next((venv / "lib").glob("python3*/site-packages"))
        lines = [str(vdir / "app")]   # `import kiosk` is this version's copy
        if self.deps_from is not None:  # offline/tests: an existing venv's packages
            lines += [str(p) for p in (self.deps_from / "lib").glob("python3*/site-packages")]
        else:
            subprocess.run(pip_install_command(venv, vdir / "app"), check=True, timeout=1800)
        (site / "kiosk-app.pth").write_text("\n".join(lines) + "\n")

    def _fonts(self, vdir: Path) -> None:
        """The UI's Chinese faces in ``app/assets/fonts`` (set-up extracts them; git does
        not have them, so a release from a fresh clone came without: seen in a booted
        container, the app exited at start). Nothing to do when the source had them."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONPATH")}
        subprocess.run([str(vdir / "venv" / "bin" / "python"), "-m", "kiosk.ui.fonts",
                        "--quiet"], check=True, timeout=600, cwd=vdir, env=env)

    def write_etc(self, src: Path) -> None:
        lay = self.layout
        self._mkdir(lay.etc, 0o750, "root", USER)
        base = (src / "config" / "kiosk.toml").read_text(encoding="utf-8")
        site = _production_config(base, lay)
        self._write(lay.etc / "kiosk.toml", site, 0o640, "root", USER, keep=True)
        self._mkdir(lay.etc / "sites", 0o750, "root", USER)
        for prof in sorted((src / "config" / "sites").glob("*.toml")):
            self._write(lay.etc / "sites" / prof.name, prof.read_text(encoding="utf-8"),
                        0o640, "root", USER, keep=True)
        self._write(lay.etc / "secrets.toml.template", SECRETS_TEMPLATE, 0o640, "root", USER)
        for d in (lay.state, lay.logs):
            self._mkdir(d, 0o700, USER, USER)

    def write_system(self, src: Path) -> None:
        lay = self.layout
        self._write(lay.unit, (src / "deploy" / "systemd" / "kiosk.service").read_text(),
                    0o644)
        self._write(lay.xorg_conf, (src / "deploy" / "xorg" / "kiosk.conf").read_text(), 0o644)

    def self_check(self, version: str) -> tuple[bool, str]:
        """The new version's ``kiosk diagnose --strict`` on this site's config."""
        vdir = self.layout.version_dir(version)
        cmd = [str(vdir / "venv" / "bin" / "python"), "-m", "kiosk", "diagnose", "--strict",
               "--config", str(self.layout.etc / "kiosk.toml")]
        for part in SELF_CHECK_PARTS:
            cmd += ["--part", part]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("KIOSK__", "PYTHONPATH"))}
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=vdir,
                                 timeout=SELF_CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return False, "self-check timed out"
        last = (res.stdout.strip().splitlines() or res.stderr.strip().splitlines() or [""])[-1]
        return res.returncode == 0, f"exit {res.returncode}: {last[:200]}"

    def switch(self, version: str) -> None:
        """Point ``current`` at ``version`` atomically (rename over the old link)."""
        tmp = self.layout.opt / ".current.new"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(version)
        tmp.replace(self.layout.current)
        self.manifest.add("link", self.layout.current)

    def restart(self) -> None:
        if self.restart_service:
            subprocess.run(["systemctl", "daemon-reload"], check=False, timeout=60)
            subprocess.run(["systemctl", "restart", "kiosk.service"], check=False, timeout=120)
        else:
            self.log.append("restart skipped (scratch root)")

    # --- the commands -----------------------------------------------------------------
    def install(self, src: Path) -> str:
        """A fresh (or repeated) install of ``src``; idempotent."""
        self.ensure_user()
        version = self.install_version(src)
        self.write_etc(src)
        self.write_system(src)
        if self.layout.current_version() is None:
            self.switch(version)
        self.manifest.save()
        if self.real:
            for cmd in ENABLE_COMMANDS:
                subprocess.run(cmd, check=False, timeout=60)
        return version

    def upgrade(self, src: Path) -> str:
        """New version beside the current one, self-check, switch, restart, probation.
        A failed self-check leaves the current version running (InstallError)."""
        previous = self.layout.current_version()
        if previous is None:
            raise InstallError("nothing installed yet: run `kiosk install` first")
        version = self.install_version(src)
        self.manifest.save()
        if version == previous:
            self.log.append(f"{version} is already current")
            return version
        ok, line = self.self_check(version)
        if not ok:
            raise InstallError(f"self-check of {version} failed ({line}); "
                               f"still running {previous}")
        self.write_system(src)
        self.switch(version)
        self.layout.probation.write_text(json.dumps(
            {"version": version, "previous": previous, "since": time.time(), "starts": 0}))
        self.layout.probation.chmod(0o644)   # the session runner (user kiosk) reads it
        self.manifest.add("file", self.layout.probation)
        self.manifest.save()
        self.restart()
        return version

    def _stop_service(self) -> None:
        res = subprocess.run(["id", "-u", USER], capture_output=True, text=True)
        uid = res.stdout.strip() if res.returncode == 0 else ""
        for cmd in DISABLE_COMMANDS:
            if "{uid}" in " ".join(cmd) and not uid.isdigit():
                continue
            argv = [c.format(uid=uid) for c in cmd]
            try:
                subprocess.run(argv, check=False, timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                # Seen in a container (cgroup v1): the stop job waits on an already
                # empty cgroup. Its processes are gone; userdel below says if not.
                self.log.append(f"{' '.join(argv)}: no answer in {STOP_TIMEOUT_S} s")

    def uninstall(self) -> list[str]:
        """Remove everything the manifest lists; what stayed (non-empty data dirs)."""
        kept: list[str] = []
        if self.real:
            self._stop_service()
        for entry in reversed(self.manifest.entries):
            path, kind = Path(entry["path"]), entry["kind"]
            if kind == "user":
                if self.real and subprocess.run(["userdel", USER]).returncode != 0:
                    kept.append(f"user {USER}")
            elif kind == "tree":
                shutil.rmtree(path, ignore_errors=True)
            elif kind in ("file", "link"):
                path.unlink(missing_ok=True)
            elif kind == "dir":
                if path == self.layout.opt:
                    continue  # last: the manifest lives there
                if path.exists() and any(path.iterdir()):
                    kept.append(str(path))  # the outbox, logs, the operator's secrets
                else:
                    _rmdir(path)
        self.layout.manifest.unlink(missing_ok=True)
        _rmdir(self.layout.opt)
        if self.real:
            subprocess.run(["systemctl", "daemon-reload"], check=False, timeout=60)
        if self.layout.opt.exists():
            kept.append(str(self.layout.opt))
        return kept


def pip_install_command(venv: Path, app: Path) -> list[str]:
    """pip installs the release's dependencies only, never the kiosk itself: an installed
    copy in site-packages would shadow ``app/`` (a ``.pth`` line comes after
    site-packages), and its ``assets/`` and ``config/`` would not be found."""
    try:
        project = tomllib.loads((app / "pyproject.toml").read_text(encoding="utf-8"))
        deps = [str(d) for d in project["project"]["dependencies"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InstallError(f"{app}/pyproject.toml: no [project] dependencies ({exc})") from None
    return [str(venv / "bin" / "pip"), "install", "-q", "--no-warn-script-location", *deps]


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def _production_config(base: str, lay: Layout) -> str:
    """The shipped config with this terminal's paths, production mode."""
    subs = {"demo": "false", "data_dir": f'"{lay.state}"', "log_dir": f'"{lay.logs}"',
            "secrets_file": f'"{lay.etc / "secrets.toml"}"'}
    for key, value in subs.items():
        base = re.sub(rf"(?m)^{key}\s*=\s*[^#\n]*", f"{key} = {value}  ", base, count=1)
    return "# This terminal's settings (written by kiosk install; edit freely).\n" + base


SECRETS_TEMPLATE = """\
# Copy to secrets.toml, fill in, then: chown kiosk:kiosk secrets.toml; chmod 0400 secrets.toml
# (the kiosk refuses a secrets file that any group or other user can read).
terminal_key = ""            # 64+ hex digits, issued by the central service for this terminal
technician_pin_hash = ""     # pbkdf2_sha256$...: /opt/kiosk/current/venv/bin/python -c
                             # "from kiosk.secrets import hash_pin; print(hash_pin(input()))"
"""
