"""The kiosk package's configure step: ``python3 -m kiosk.deploy.maint configure VERSION
[OLD]`` (deploy/debian/postinst; docs/deploying.md, "The package").

Runs with the system's ``python3`` from the release's ``app/`` before any venv exists, so
it uses the standard library and kiosk.config/kiosk.deploy only. ``$DPKG_ROOT`` (dpkg
``--root``, the tests) is a scratch tree: paths are under it, users are made with
``--prefix``, systemd is only asked to enable units there, nothing is started.

In order, each idempotent:

1. user ``kiosk`` (system user, nologin) in the device groups;
2. ``/etc/kiosk`` root:kiosk 0750, its config written once (production paths),
   ``/etc/kiosk/credentials`` root 0700, ``/var/lib/kiosk`` and ``/var/log/kiosk``
   kiosk 0700;
3. the release's venv from its wheels, offline and hash-checked (or the kept release's
   venv, linked, when the wheels are the same), then its code compiled;
4. the network allow-list drop-in (kiosk/deploy/network.py);
5. ``pcscd.socket`` and ``kiosk.service`` enabled;
6. ``current``: a fresh install points it at the release; an upgrade first runs the
   release's self-check (``kiosk diagnose --strict``, parts config and disk, as user
   kiosk with the sealed key, on this site's config): a failure ends here with exit 1,
   the kiosk goes on running the kept release; else ``current`` is switched, the trial
   starts (``probation.json``) and the kiosk restarts.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.deploy.config_file import production_config
from kiosk.deploy.creds import CredsError, decrypted
from kiosk.deploy.layout import CREDENTIAL_NAME, GROUPS, USER, Layout
from kiosk.deploy.network import write_dropin

PIP_WHEELS = Path("/usr/share/python-wheels")   # python3-pip-whl
SELF_CHECK_PARTS = ("config", "disk")
SELF_CHECK_TIMEOUT_S = 120
VENV_TIMEOUT_S = 900
SECRETS_TEMPLATE = """\
# The technician PIN's hash (kiosk-provision writes it). The terminal key is NOT here: it is
# sealed with systemd-creds in /etc/kiosk/credentials and reaches the kiosk in memory only.
# By hand: owner kiosk, mode 0400 (the kiosk refuses a file any group can read).
technician_pin_hash = ""     # pbkdf2_sha256$...: /opt/kiosk/current/venv/bin/python -c
                             # "from kiosk.secrets import hash_pin; print(hash_pin(input()))"
"""


class MaintError(RuntimeError):
    """A configure step failed; ``str()`` is one line (dpkg shows it)."""


def say(text: str) -> None:
    """One line for dpkg's output (stderr)."""
    print(f"kiosk: {text}", file=sys.stderr, flush=True)


def run(cmd: Sequence[str], timeout: float = 120, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; a failure (with ``check``) is a one-line :class:`MaintError`."""
    try:
        res = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout,
                             env=env)
    except subprocess.TimeoutExpired:
        raise MaintError(f"{' '.join(cmd)[:100]} timed out after {timeout:.0f} s") from None
    except FileNotFoundError:
        raise MaintError(f"{cmd[0]} is not installed") from None
    if check and res.returncode != 0:
        last = (res.stderr.strip().splitlines() or res.stdout.strip().splitlines() or ["?"])
        raise MaintError(f"{' '.join(cmd)[:100]} failed (exit {res.returncode}): "
                         f"{last[-1][:160]}")
    return res


def file_digest(path: Path) -> str:
    """SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Configure:
    """One configure run of release ``version`` under ``layout``."""

    def __init__(self, layout: Layout, version: str) -> None:
        self.layout = layout
        self.version = version
        self.release = layout.version_dir(version)
        # systemd runs here and may be asked to start things (not in a scratch root, a
        # chroot or an image being built).
        self.booted = layout.real and Path("/run/systemd/system").is_dir()
        self.as_root = os.geteuid() == 0

    # --- 1, 2: user, directories, config -------------------------------------------------
    def _prefix(self) -> list[str]:
        return [] if self.layout.real else ["--prefix", str(self.layout.root)]

    def ensure_user(self) -> None:
        """User kiosk (system, nologin, home /var/lib/kiosk) in the device groups there are."""
        if not self.as_root:
            say("not root: user kiosk not made, nothing chowned")
            return
        if self.layout.user_ids(USER) is None:
            run(["useradd", *self._prefix(), "--system", "--home-dir", "/var/lib/kiosk",
                 "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", USER])
        groups = [g for g in GROUPS if self.layout.has_group(g)]
        if groups:
            run(["usermod", *self._prefix(), "--groups", ",".join(groups), USER])

    def _own(self, path: Path, mode: int, owner: str, group: str) -> None:
        path.chmod(mode)
        if not self.as_root:
            return
        uid = 0 if owner == "root" else (self.layout.user_ids(owner) or (None, None))[0]
        gid = 0 if group == "root" else (self.layout.user_ids(group) or (None, None))[1]
        if uid is None or gid is None:
            raise MaintError(f"no user {owner}/{group} to own {path}")
        os.chown(path, uid, gid)

    def _dir(self, path: Path, mode: int, owner: str = "root", group: str = "root") -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._own(path, mode, owner, group)

    def _write_once(self, path: Path, text: str, mode: int, group: str = "root") -> None:
        """The site's file: written when missing, never overwritten."""
        if path.exists():
            return
        tmp = path.with_name(f".{path.name}.new")
        tmp.write_text(text, encoding="utf-8")
        self._own(tmp, mode, "root", group)
        tmp.replace(path)

    def ensure_files(self) -> None:
        """/etc/kiosk and its config (written once), the credentials dir, the data dirs."""
        lay, app = self.layout, self.release / "app"
        self._dir(lay.etc, 0o750, "root", USER)
        self._dir(lay.etc / "sites", 0o750, "root", USER)
        self._dir(lay.credential.parent, 0o700)
        shipped = (app / "config" / "kiosk.toml").read_text(encoding="utf-8")
        self._write_once(lay.config, production_config(shipped, lay), 0o640, USER)
        for profile in sorted((app / "config" / "sites").glob("*.toml")):
            self._write_once(lay.etc / "sites" / profile.name,
                             profile.read_text(encoding="utf-8"), 0o640, USER)
        template = lay.etc / "secrets.toml.template"
        template.write_text(SECRETS_TEMPLATE, encoding="utf-8")
        self._own(template, 0o640, "root", USER)
        for d in (lay.state, lay.logs):
            self._dir(d, 0o700, USER, USER)
            self.reclaim(d)

    def reclaim(self, top: Path) -> None:
        """Give the kiosk back what is under its data dir: a purge leaves the outbox and
        the session files owned by root (no later user may inherit them), and a new
        install's kiosk could not open them (seen in the booted container: Permission
        denied on the session's X cookie). Symbolic links are changed, never followed."""
        ids = self.layout.user_ids(USER)
        if not self.as_root or ids is None:
            return
        for here, dirs, files in os.walk(top):
            for name in dirs + files:
                path = os.path.join(here, name)
                if os.lstat(path).st_uid != ids[0]:
                    os.chown(path, *ids, follow_symlinks=False)

    # --- 3: the venv ----------------------------------------------------------------------
    def _donor(self, wanted: str) -> Path | None:
        """A complete venv made from the same wheels (the kept release's, usually)."""
        opt = self.layout.opt
        for venv in [*sorted(opt.glob("kept/*/venv")), *sorted(opt.glob("releases/*/venv"))]:
            marker = venv / ".complete"
            if venv.parent != self.release and marker.exists() \
                    and marker.read_text().strip() == wanted:
                return venv
        return None

    def make_venv(self) -> str:
        """The release's venv; how it was made (one word)."""
        venv, wheels = self.release / "venv", self.release / "wheels"
        wanted = file_digest(wheels / "requirements.txt")
        marker = venv / ".complete"
        if marker.exists() and marker.read_text().strip() == wanted:
            return "present"
        shutil.rmtree(venv, ignore_errors=True)
        donor = self._donor(wanted)
        if donor is not None:
            # Hard links: the same files, no copy. Nothing writes into a venv once made,
            # and its .pth names app/ relatively, so it serves this release as it is.
            run(["cp", "-al", str(donor), str(venv)], timeout=VENV_TIMEOUT_S)
            return f"linked from {donor.parent.relative_to(self.layout.opt)}"
        pips = sorted(PIP_WHEELS.glob("pip-*.whl"))
        if not pips:
            raise MaintError(f"no pip wheel in {PIP_WHEELS} (package python3-pip-whl)")
        try:
            run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
            python = venv / "bin" / "python"
            run([str(python), f"{pips[-1]}/pip", "install", "--no-index", "--no-deps",
                 "--require-hashes", "--find-links", str(wheels), "--disable-pip-version-check",
                 "--no-warn-script-location", "-q", "-r", str(wheels / "requirements.txt")],
                timeout=VENV_TIMEOUT_S, env={**os.environ, "PIP_CONFIG_FILE": os.devnull,
                                             "PIP_NO_CACHE_DIR": "1"})
            site = next((venv / "lib").glob("python3*/site-packages"))
            # Relative to site-packages: app/ of whatever release dir holds this venv
            # (releases/<v> or, after an upgrade, its kept copy).
            (site / "kiosk-app.pth").write_text("../../../../app\n")
            marker.write_text(wanted + "\n")
        except BaseException:
            shutil.rmtree(venv, ignore_errors=True)   # a retry starts clean
            raise
        return "made from the wheels"

    def compile_app(self) -> None:
        """The release's code compiled once here: the sandboxed service cannot write it."""
        run([sys.executable, "-m", "compileall", "-q", str(self.release / "app" / "kiosk")],
            timeout=600)

    # --- 4, 5: network, systemd -----------------------------------------------------------
    def settings(self) -> Settings:
        """This terminal's settings (``/etc/kiosk/kiosk.toml``), or :class:`MaintError`."""
        try:
            return load_settings(self.layout.config, environ={})
        except ConfigError as exc:
            raise MaintError(str(exc)) from None

    def write_network(self) -> None:
        """The address allow-list drop-in, from this terminal's settings."""
        try:
            allow = write_dropin(self.settings(), self.layout)
        except ValueError as exc:
            raise MaintError(str(exc)) from None
        if allow.unresolved:
            say(f"could not resolve {', '.join(allow.unresolved)}: the kiosk cannot reach "
                "it until `kiosk-provision --network` runs again")

    def systemctl(self, *args: str, check: bool = False) -> None:
        """systemctl on this root (``--root`` where systemd does not run); a failure is said,
        or raised with ``check``."""
        root = [] if self.booted else [f"--root={self.layout.root}"]
        res = run(["systemctl", *root, *args], check=False, timeout=120)
        if res.returncode != 0:
            msg = f"systemctl {' '.join(args)}: {res.stderr.strip()[-160:]}"
            if check:
                raise MaintError(msg)
            say(msg)

    def enable(self) -> None:
        """kiosk.service wanted by graphical.target; pcscd.socket enabled (and started)."""
        if self.booted:
            self.systemctl("daemon-reload")
        self.systemctl("enable", "kiosk.service", check=True)
        self.systemctl("enable", *(["--now"] if self.booted else []), "pcscd.socket")

    # --- 6: current, self-check, trial ----------------------------------------------------
    def provisioned(self) -> bool:
        """Whether the terminal has its key: sealed, or (a development install) in the
        secrets file."""
        lay = self.layout
        if lay.credential.exists():
            return True
        try:
            return "terminal_key" in lay.secrets.read_text(encoding="utf-8")
        except OSError:
            return False

    def self_check(self) -> tuple[bool, str]:
        """The release's own ``kiosk diagnose --strict`` on this site's config: under
        systemd as the service would run it (user kiosk, the sealed key)."""
        lay = self.layout
        cmd = [str(self.release / "venv" / "bin" / "python"), "-m", "kiosk", "diagnose",
               "--strict", "--config", str(lay.config)]
        for part in SELF_CHECK_PARTS:
            cmd += ["--part", part]
        if self.booted and lay.credential.exists():
            cmd = ["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
                   "-p", f"User={USER}", "-p", f"Group={USER}",
                   "-p", f"LoadCredentialEncrypted={CREDENTIAL_NAME}:{lay.credential}",
                   "-p", f"WorkingDirectory={self.release}",
                   "--setenv=PYTHONUNBUFFERED=1", *cmd]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("KIOSK__", "PYTHON", "CREDENTIALS_DIRECTORY"))}
        with contextlib.ExitStack() as stack:
            if lay.credential.exists() and not self.booted:
                # No systemd to decrypt it: the same, in memory, for this check only.
                try:
                    env["CREDENTIALS_DIRECTORY"] = str(stack.enter_context(decrypted(lay)))
                except CredsError as exc:
                    return False, str(exc)
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                     cwd=self.release, timeout=SELF_CHECK_TIMEOUT_S,
                                     stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                return False, f"timed out after {SELF_CHECK_TIMEOUT_S} s"
        out = res.stdout.strip().splitlines() or res.stderr.strip().splitlines() or [""]
        return res.returncode == 0, f"exit {res.returncode}: {out[-1][:200]}"

    def activate(self) -> None:
        """Point ``current`` at this release: at once on a fresh install, after the self-check
        on an upgrade (then the trial and a restart)."""
        lay, v = self.layout, self.version
        target = f"releases/{v}"
        previous = lay.current_target()
        if previous == target:
            return
        if previous is None:
            lay.switch(target)
            if not self.provisioned():
                say("installed; not provisioned yet: run kiosk-provision")
            elif self.booted:
                self.systemctl("start", "--no-block", "kiosk.service")
            return
        if Path(previous).name == v:      # the same version again: its kept copy runs
            lay.switch(target)
            if self.booted:
                self.systemctl("try-restart", "--no-block", "kiosk.service")
            return
        if self.provisioned():
            ok, line = self.self_check()
            if not ok:
                raise MaintError(f"self-check of {v} failed ({line}); the kiosk goes on "
                                 f"running {Path(previous).name} ({previous})")
            say(f"self-check of {v} passed")
        else:
            say("not provisioned: no self-check")
        lay.switch(target)
        lay.probation.write_text(json.dumps(
            {"version": v, "previous": previous, "since": time.time(), "starts": 0}))
        lay.probation.chmod(0o644)   # the session runner (user kiosk) reads it
        say(f"{v} is current, on trial; {Path(previous).name} kept in {previous}")
        if self.booted and self.provisioned():
            self.systemctl("restart", "--no-block", "kiosk.service")

    def configure(self) -> None:
        """Every step, in order (the module docstring)."""
        self.ensure_user()
        self.ensure_files()
        how = self.make_venv()
        say(f"venv of {self.version}: {how}")
        self.compile_app()
        self.write_network()
        self.enable()
        self.activate()


def main(argv: list[str] | None = None) -> int:
    """``configure VERSION [OLD]`` under ``$DPKG_ROOT``; exit 1 with one line on a failure."""
    parser = argparse.ArgumentParser(prog="kiosk-maint")
    parser.add_argument("action", choices=["configure"])
    parser.add_argument("version")
    parser.add_argument("old", nargs="?", default="")
    args = parser.parse_args(argv)
    root = Path(os.environ.get("DPKG_ROOT") or "/")
    try:
        Configure(Layout(root), args.version).configure()
    except MaintError as exc:
        say(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
