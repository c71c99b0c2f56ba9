"""``kiosk-provision``: set up this terminal in one step (docs/deploying.md,
"Provisioning"). As root, after ``apt install kiosk``::

    kiosk-provision --credential FILE|- [--base-url URL] [--site outlet|medical]
                    [--hotline NUMBER] [--technician-pin-hash HASH]
                    [--console vt|none] [--display gpu|dummy] [--no-start]
    kiosk-provision --network          # the address allow-list again (centre moved)

1. The credential the centre issued (kiosk/deploy/credential.py) is read and checked.
2. ``/etc/kiosk/kiosk.toml`` gets ``kiosk.terminal_id``, ``central.base_url``,
   ``kiosk.site`` and ``region.hotline``; the result must load and pass the production
   checks (not the demo's id or sandbox, https beyond loopback) before it is written.
3. The terminal key is sealed with ``systemd-creds encrypt`` (TPM2 where there is one,
   else the host key) into ``/etc/kiosk/credentials/kiosk-terminal-key.cred``; the key
   goes to systemd-creds on a pipe and is written nowhere in plain text. A secrets file
   keeps only the technician PIN's hash (a key found in it is taken out).
4. The drop-ins: the addresses the kiosk may reach (kiosk/deploy/network.py) and, for a
   box without tty7 or without a GPU, the session's console and display.
5. ``systemctl restart kiosk``: the terminal comes up (unless ``--no-start``).
"""

from __future__ import annotations

import argparse
import getpass
import os
import subprocess
import sys
from pathlib import Path

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.deploy.config_file import set_value
from kiosk.deploy.credential import Credential, CredentialError, check_base_url, parse_credential
from kiosk.deploy.creds import CredsError, has_tpm2, seal
from kiosk.deploy.layout import USER, Layout
from kiosk.deploy.network import write_dropin
from kiosk.production import ProductionError, check_central, check_provisioned
from kiosk.secrets import MIN_TECHNICIAN_PIN_DIGITS, hash_pin, pin_hash_digits

SESSION_DROPIN = "20-session.conf"
PYTHON = "/opt/kiosk/current/venv/bin/python"
CONFIG = "/etc/kiosk/kiosk.toml"
XORG_CONFIGS = {"gpu": "kiosk.conf", "dummy": "kiosk-dummy.conf"}


class ProvisionError(RuntimeError):
    """Provisioning stopped; ``str()`` is one line, nothing half-written."""


def session_command(display: str = "gpu", console: str = "vt") -> str:
    """The unit's ``ExecStart=`` for this console and display (the shipped unit has the
    default: tty7 and the GPU; tests/deploy/test_provision.py holds them equal)."""
    vt = " --vt 7" if console == "vt" else ""
    return (f"{PYTHON} -m kiosk.system.session --xorg-config {XORG_CONFIGS[display]}{vt} "
            f"--config {CONFIG}")


def session_dropin(display: str, console: str) -> str | None:
    """The drop-in for a box without tty7 (``console="none"``: no VT, no TTYPath=) or
    without a GPU driver (``display="dummy"``); None for the default."""
    if display == "gpu" and console == "vt":
        return None
    lines = ["# Written by kiosk-provision (--display, --console): docs/deploying.md",
             "[Service]", "ExecStart=", f"ExecStart={session_command(display, console)}"]
    if console == "none":
        # No VT: systemd opens no terminal for the session, Xorg runs without one.
        lines += ["TTYPath=", "StandardInput=null"]
    return "\n".join(lines) + "\n"


def read_credential(source: str) -> Credential:
    """The credential in file ``source`` (``-``: stdin), or :class:`ProvisionError`."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"cannot read the credential {source}: "
                             f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    try:
        return parse_credential(text)
    except CredentialError as exc:
        raise ProvisionError(f"credential {source}: {exc}") from None


class Provisioner:
    """One provisioning run under ``layout`` (``/``, or a scratch root in tests)."""

    def __init__(self, layout: Layout, *, seal_with: str = "auto") -> None:
        self.layout = layout
        self.seal_with = seal_with
        self.booted = layout.real and Path("/run/systemd/system").is_dir()
        self.log: list[str] = []
        self.pending: Path | None = None

    # --- the config ----------------------------------------------------------------------
    def configure(self, cred: Credential, base_url: str | None, site: str | None,
                  hotline: str | None) -> Settings:
        """This terminal's values in a checked copy of kiosk.toml (written by
        :meth:`commit_config`); the settings they give."""
        lay = self.layout
        if not lay.config.exists():
            raise ProvisionError(f"{lay.config} is missing: install the kiosk package first")
        url = base_url or cred.base_url
        if not url:
            raise ProvisionError("no central URL: give --base-url (the credential has none)")
        try:
            check_base_url(url)
        except CredentialError as exc:
            raise ProvisionError(str(exc)) from None
        text = lay.config.read_text(encoding="utf-8")
        wanted: dict[tuple[str, str], str] = {("kiosk", "terminal_id"): cred.terminal_id,
                                              ("central", "base_url"): url}
        if site or cred.site:
            wanted[("kiosk", "site")] = str(site or cred.site)
        if hotline:
            wanted[("region", "hotline")] = hotline
        for (section, key), value in wanted.items():
            text = set_value(text, section, key, value)
        tmp = lay.config.with_name(".kiosk.toml.new")
        tmp.write_text(text, encoding="utf-8")
        try:
            settings = load_settings(tmp, environ={})
            check_central(settings)
            check_provisioned(settings)
            for (section, key), value in wanted.items():
                got = getattr(getattr(settings, section), key)
                if got != value:
                    raise ProvisionError(f"{section}.{key} is {got!r} after provisioning: "
                                         "a site profile in /etc/kiosk/sites sets it")
        except (ConfigError, ProductionError, ProvisionError) as exc:
            tmp.unlink(missing_ok=True)
            raise ProvisionError(str(exc)) from None
        os.chmod(tmp, lay.config.stat().st_mode & 0o777)
        if os.geteuid() == 0:
            st = lay.config.stat()
            os.chown(tmp, st.st_uid, st.st_gid)
        self.pending = tmp   # written by commit_config(), once everything else checked
        self.log.append(f"{lay.config}: " + ", ".join(f"{s}.{k} = {v}"
                                                     for (s, k), v in wanted.items()))
        return settings

    def commit_config(self) -> None:
        """Put the checked kiosk.toml in place."""
        if self.pending is not None:
            self.pending.replace(self.layout.config)
            self.pending = None

    def abandon(self) -> None:
        """Drop a checked kiosk.toml that will not be used."""
        if self.pending is not None:
            self.pending.unlink(missing_ok=True)
            self.pending = None

    # --- the secrets -----------------------------------------------------------------------
    def secrets_text(self, pin_hash: str | None) -> tuple[str, str]:
        """(the secrets file as it is, as it will be): the PIN's hash only."""
        old = ""
        if self.layout.secrets.exists():
            old = self.layout.secrets.read_text(encoding="utf-8")
        if pin_hash is None:
            kept = [line for line in old.splitlines()
                    if line.strip().startswith("technician_pin_hash")]
            if not kept:
                raise ProvisionError("no technician PIN: give --technician-pin-hash "
                                     "(or run on a terminal to be asked for the PIN)")
            return old, "\n".join(kept) + "\n"
        if not pin_hash.startswith("pbkdf2_sha256$") \
                or (pin_hash_digits(pin_hash) or 0) < MIN_TECHNICIAN_PIN_DIGITS:
            raise ProvisionError("--technician-pin-hash: not a pbkdf2_sha256 hash of a PIN "
                                 f"of at least {MIN_TECHNICIAN_PIN_DIGITS} digits")
        return old, f'technician_pin_hash = "{pin_hash}"\n'

    def write_secrets(self, old: str, text: str) -> None:
        """The secrets file with the PIN's hash only: a key found there is taken out."""
        lay = self.layout
        if text == old:
            return
        tmp = lay.secrets.with_name(".secrets.toml.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if os.geteuid() == 0 and (uid_gid := self.layout.user_ids(USER)):
            os.chown(tmp, *uid_gid)
        tmp.replace(lay.secrets)
        self.log.append(f"{lay.secrets}: the technician PIN's hash"
                        + (" (the plain terminal key taken out)" if "terminal_key" in old
                           else ""))

    def seal(self, key: bytes) -> str:
        """Seal ``key`` for kiosk.service; which key sealed it."""
        try:
            seal(self.layout, key, self.seal_with)
        except CredsError as exc:
            raise ProvisionError(str(exc)) from None
        tpm = self.seal_with in ("tpm2", "host+tpm2") or (self.seal_with == "auto"
                                                          and has_tpm2())
        how = {"tpm2": "TPM2"}.get(self.seal_with, "TPM2 + host key" if tpm else "host key")
        self.log.append(f"{self.layout.credential}: the terminal key, sealed with the {how}"
                        + ("" if tpm else " (no TPM2: on an unencrypted disk this does not "
                                          "protect the key: docs/deploying.md)"))
        return how

    # --- drop-ins, systemd -----------------------------------------------------------------
    def network(self, settings: Settings) -> None:
        """Write the address allow-list; refuse a centre name that does not resolve."""
        try:
            allow = write_dropin(settings, self.layout)
        except ValueError as exc:
            raise ProvisionError(str(exc)) from None
        self.log.append("may connect to: loopback"
                        + (", " + ", ".join(allow.addresses) if allow.addresses else ""))
        if allow.unresolved:
            raise ProvisionError(f"could not resolve {', '.join(allow.unresolved)}: check the "
                                 "name or list its addresses in /etc/kiosk/network-allow")

    def session(self, display: str, console: str) -> None:
        """Write (or remove) the session drop-in for this console and display."""
        path = self.layout.dropins / SESSION_DROPIN
        text = session_dropin(display, console)
        if text is None:
            path.unlink(missing_ok=True)
            return
        self.layout.dropins.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
        self.log.append(f"session: display {display}, console {console} ({path})")

    def check_box(self, display: str, console: str, dev: Path = Path("/dev")) -> None:
        """On the terminal itself: the console and display asked for are there (seen: on a
        box without tty7 the unit failed 'Failed to set up standard input')."""
        if not self.layout.real:
            return
        if console == "vt" and not (dev / "tty7").exists():
            raise ProvisionError("this box has no /dev/tty7 (no virtual terminals): run "
                                 "again with --console none")
        if display == "gpu" and not list(dev.glob("dri/card*")):
            raise ProvisionError("this box has no GPU device (/dev/dri/card*): run again "
                                 "with --display dummy (package xserver-xorg-video-dummy)")

    def restart(self, start: bool) -> None:
        """Reload systemd and restart the kiosk (where systemd runs)."""
        if not self.booted:
            self.log.append("systemd not running here: nothing started")
            return
        subprocess.run(["systemctl", "daemon-reload"], check=False, timeout=60)
        if start:
            res = subprocess.run(["systemctl", "restart", "kiosk.service"],
                                 capture_output=True, text=True, timeout=180)
            if res.returncode != 0:
                raise ProvisionError("kiosk.service did not start: see systemctl status "
                                     "kiosk and journalctl -u kiosk")
            self.log.append("kiosk.service started")


def ask_pin() -> str:
    """The technician PIN, typed twice on the terminal (never an argument)."""
    try:
        first = getpass.getpass(f"technician PIN ({MIN_TECHNICIAN_PIN_DIGITS}+ digits): ")
        again = getpass.getpass("again: ")
    except (EOFError, KeyboardInterrupt):
        raise ProvisionError("no technician PIN typed (or give --technician-pin-hash)"
                             ) from None
    if again != first:
        raise ProvisionError("the two PINs differ")
    if not (first.isascii() and first.isdigit() and len(first) >= MIN_TECHNICIAN_PIN_DIGITS):
        raise ProvisionError(f"the PIN must be at least {MIN_TECHNICIAN_PIN_DIGITS} digits")
    return hash_pin(first)


def main(argv: list[str] | None = None) -> int:
    """kiosk-provision's command line; 0, or 1 with one line."""
    parser = argparse.ArgumentParser(prog="kiosk-provision", description=__doc__.splitlines()[0])
    parser.add_argument("--credential", metavar="FILE", help="the centre's credential ('-': stdin)")
    parser.add_argument("--base-url", help="the central service (else the credential's)")
    parser.add_argument("--site", choices=["outlet", "medical"])
    parser.add_argument("--hotline", help="the hotline on screen and receipts")
    parser.add_argument("--technician-pin-hash", metavar="HASH",
                        help="pbkdf2_sha256 hash (kiosk.secrets.hash_pin); else asked for")
    parser.add_argument("--console", choices=["vt", "none"], default="vt",
                        help="none: a box without tty7 (no VT)")
    parser.add_argument("--display", choices=["gpu", "dummy"], default="gpu",
                        help="dummy: Xorg's dummy driver (no GPU driver for the screen)")
    parser.add_argument("--network", action="store_true",
                        help="only write the address allow-list again")
    parser.add_argument("--seal-with", default="auto",
                        choices=["auto", "host", "tpm2", "host+tpm2"])
    parser.add_argument("--no-start", action="store_true", help="do not (re)start the kiosk")
    parser.add_argument("--root", default="/", help=argparse.SUPPRESS)   # tests
    args = parser.parse_args(argv)
    layout = Layout(Path(args.root).resolve())
    prov = Provisioner(layout, seal_with=args.seal_with)
    try:
        if layout.real and os.geteuid() != 0:
            raise ProvisionError("run as root")
        if args.network:
            try:
                settings = load_settings(layout.config, environ={})
            except ConfigError as exc:
                raise ProvisionError(str(exc)) from None
            prov.network(settings)
            prov.restart(not args.no_start)
        else:
            if not args.credential:
                raise ProvisionError("--credential FILE is needed (what the centre issued)")
            cred = read_credential(args.credential)
            prov.check_box(args.display, args.console)
            pin_hash = args.technician_pin_hash
            if pin_hash is None and not layout.secrets.exists() and sys.stdin.isatty() \
                    and args.credential != "-":
                pin_hash = ask_pin()
            # Everything checked first; then written (nothing half-done on a refusal).
            old_secrets, secrets_text = prov.secrets_text(pin_hash)
            settings = prov.configure(cred, args.base_url, args.site, args.hotline)
            prov.seal(cred.terminal_key)
            prov.commit_config()
            prov.write_secrets(old_secrets, secrets_text)
            prov.network(settings)
            prov.session(args.display, args.console)
            prov.restart(not args.no_start)
            if args.credential != "-":
                prov.log.append(f"{args.credential} holds the key in plain text: destroy it "
                                f"(shred -u {args.credential})")
    except ProvisionError as exc:
        prov.abandon()
        for line in prov.log:
            print(f"  {line}")
        print(f"kiosk-provision: {exc}", file=sys.stderr)
        return 1
    for line in prov.log:
        print(f"  {line}")
    print("kiosk-provision: done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
