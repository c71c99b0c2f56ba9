"""kiosk-provision's parts on a scratch root (as root, the real systemd-creds with the
root's own host key): the credential read as hostile input, the config it writes and
refuses, the key sealed and nowhere in plain text, the drop-ins checked by systemd's
own verifier. The installed package runs it in tests/deploy/test_package.py and in the
booted container (deploy/check-boot.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import Settings, load_settings
from kiosk.deploy.config_file import production_config
from kiosk.deploy.credential import (
    FORMAT,
    CredentialError,
    format_credential,
    parse_credential,
)
from kiosk.deploy.layout import CREDENTIAL_NAME, Layout
from kiosk.deploy.network import Allowed, allowed, dropin_text
from kiosk.deploy.provision import (
    Provisioner,
    ProvisionError,
    ask_pin,
    main,
    session_command,
    session_dropin,
)
from kiosk.secrets import hash_pin
from tests.deploy.helpers import REPO, TECH_PIN

KEY = bytes.fromhex("c0ffee11" * 8)
UNIT = REPO / "deploy" / "systemd" / "kiosk.service"


def good(**fields: str) -> str:
    base = {"format": FORMAT, "terminal_id": "T-4403-0001", "terminal_key": KEY.hex()}
    return "".join(f'{k} = "{v}"\n' for k, v in {**base, **fields}.items())


@pytest.mark.parametrize("text,why", [
    (good(extra="1"), "unknown key 'extra'"),
    (good().replace("terminal_id", "#"), "terminal_id is missing"),
    (good(terminal_key="ab" * 31), "at least 64 hex digits"),
    (good(terminal_key="zz" * 32), "at least 64 hex digits"),
    (good(format="kiosk-terminal-credential/2"), "is not 'kiosk-terminal-credential/1'"),
    (good(terminal_id="T 1; rm -rf /"), "letters, digits and dashes"),
    (good(base_url="ftp://x"), "not an http(s) URL"),
    (good(site="hospital"), "not one of outlet, medical"),
    ("terminal_key = [1, 2]\n", "missing"),
    ('format = "x" = y', "not TOML"),
    ("#" * 5000, "longer than"),
])
def test_a_bad_credential_is_one_line_without_the_key(text: str, why: str):
    with pytest.raises(CredentialError) as err:
        parse_credential(text)
    assert why in str(err.value) and "\n" not in str(err.value)
    assert KEY.hex() not in str(err.value)


def test_the_credential_round_trips_and_hides_its_key():
    text = format_credential("T-4403-0001", KEY, base_url="https://centre.example/",
                             site="medical")
    cred = parse_credential(text)
    assert (cred.terminal_id, cred.terminal_key, cred.base_url, cred.site) == (
        "T-4403-0001", KEY, "https://centre.example/", "medical")
    assert KEY.hex() not in repr(cred)


# --- the session drop-ins, verified by systemd ------------------------------------------

def unit_exec_start() -> str:
    return next(line.split("=", 1)[1] for line in UNIT.read_text().splitlines()
                if line.startswith("ExecStart="))


def test_the_shipped_unit_is_the_default_session():
    assert unit_exec_start() == session_command()
    assert session_dropin("gpu", "vt") is None


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
@pytest.mark.parametrize("display,console", [("gpu", "none"), ("dummy", "none"),
                                             ("dummy", "vt")])
def test_the_no_console_and_dummy_display_options_verify(tmp_path: Path, display: str,
                                                         console: str):
    text = session_dropin(display, console)
    assert text is not None
    assert ("--vt 7" in text) == (console == "vt")
    assert ("TTYPath=\n" in text) == (console == "none")
    assert ("kiosk-dummy.conf" in text) == (display == "dummy")
    unit_dir = tmp_path / "units"
    (unit_dir / "kiosk.service.d").mkdir(parents=True)
    here = sys.executable   # verify checks that the command exists
    (unit_dir / "kiosk.service").write_text(UNIT.read_text().replace(
        "/opt/kiosk/current/venv/bin/python", here))
    (unit_dir / "kiosk.service.d" / "20-session.conf").write_text(text.replace(
        "/opt/kiosk/current/venv/bin/python", here))
    (unit_dir / "kiosk.service.d" / "50-network.conf").write_text(
        dropin_text(Allowed(["10.20.30.40/32", "10.0.0.53/32"])))
    res = subprocess.run(["systemd-analyze", "verify", "--man=no",
                          str(unit_dir / "kiosk.service")], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "SYSTEMD_UNIT_PATH": f"{unit_dir}:"})
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr


# --- the network allow-list ------------------------------------------------------------

def scratch(tmp: Path, base_url: str = "https://centre.province.example/",
            printer: str = "") -> tuple[Layout, Settings]:
    lay = Layout(tmp / "root")
    (lay.etc / "sites").mkdir(parents=True)
    text = production_config((REPO / "config" / "kiosk.toml").read_text(), lay)
    for prof in (REPO / "config" / "sites").glob("*.toml"):
        shutil.copy2(prof, lay.etc / "sites" / prof.name)
    lay.config.write_text(text)
    env = {"KIOSK__CENTRAL__BASE_URL": base_url}
    if printer:
        env |= {"KIOSK__PRINTER__KIND": "network", "KIOSK__PRINTER__TARGET": printer}
    return lay, load_settings(lay.config, environ=env)


def test_the_allow_list_is_the_centre_its_name_servers_and_the_sites_own(tmp_path: Path):
    lay, settings = scratch(tmp_path, printer="192.168.8.20:9100")
    lay.p("/etc").mkdir(exist_ok=True)
    lay.p("/etc/resolv.conf").write_text("nameserver 10.0.0.53\nnameserver 127.0.0.53\n")
    (lay.etc / "network-allow").write_text("# the province's range\n10.64.0.0/12\n")
    allow = allowed(settings, lay, resolver=lambda host: ["10.20.30.40", "fd00::40"])
    assert allow.addresses == ["10.20.30.40/32", "fd00::40/128", "192.168.8.20/32",
                               "10.0.0.53/32", "10.64.0.0/12"]
    assert allow.unresolved == []
    # An address needs no name server; a name that does not resolve is said.
    lay2, by_address = scratch(tmp_path / "b", base_url="https://10.1.2.3:8443/")
    assert allowed(by_address, lay2, resolver=lambda h: []).addresses == ["10.1.2.3/32"]
    assert allowed(settings, lay, resolver=lambda h: []).unresolved == [
        "centre.province.example"]
    (lay.etc / "network-allow").write_text("everything\n")
    with pytest.raises(ValueError, match="not an address"):
        allowed(settings, lay, resolver=lambda h: ["10.20.30.40"])


# --- provisioning a scratch root ---------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("systemd-creds"),
                                reason="seals with systemd-creds as root")


def provision(lay: Layout, credential: str, *extra: str) -> int:
    cred = lay.root / "credential.toml"
    cred.write_text(credential)
    try:
        return main(["--root", str(lay.root), "--credential", str(cred),
                     "--technician-pin-hash", hash_pin(TECH_PIN, iterations=1000), *extra])
    finally:
        cred.unlink()


@needs_root
@pytest.mark.parametrize("credential,extra,why", [
    (good(terminal_id="T-DEMO-0001", base_url="https://c.example/"), (), "the demo's"),
    (good(base_url="http://10.1.2.3/"), (), "plain HTTP"),
    (good(), (), "no central URL"),
    (good(base_url="https://10.1.2.3/"), ("--hotline", "1"), "3 to 12 digits"),
])
def test_provisioning_refuses_and_writes_nothing(tmp_path: Path, capsys, credential: str,
                                                 extra: tuple[str, ...], why: str):
    lay, _ = scratch(tmp_path)
    before = lay.config.read_text()
    assert provision(lay, credential, *extra) == 1
    err = capsys.readouterr().err
    assert why in err and KEY.hex() not in err
    assert lay.config.read_text() == before and not lay.credential.exists()
    assert not lay.secrets.exists() and sorted(p.name for p in lay.etc.iterdir()) == [
        "kiosk.toml", "sites"]


@needs_root
def test_provisioning_seals_the_key_and_leaves_no_plain_copy(tmp_path: Path, capsys):
    lay, _ = scratch(tmp_path)
    # An older install kept the key in the secrets file: provisioning takes it out.
    lay.secrets.write_text(f'terminal_key = "{KEY.hex()}"\n')
    assert provision(lay, good(base_url="https://10.20.30.40/", site="outlet"),
                     "--hotline", "12333", "--console", "none", "--display", "dummy") == 0
    out = capsys.readouterr().out
    assert "sealed with the" in out and "kiosk-provision: done" in out
    assert "holds the key in plain text: destroy it (shred -u" in out
    settings = load_settings(lay.config, environ={})
    assert (settings.kiosk.terminal_id, settings.central.base_url, settings.kiosk.site,
            settings.region.hotline) == ("T-4403-0001", "https://10.20.30.40/", "outlet",
                                         "12333")
    assert "terminal_key" not in lay.secrets.read_text()
    assert oct(lay.secrets.stat().st_mode & 0o777) == "0o400"
    opened = subprocess.run(
        ["systemd-creds", "decrypt", f"--name={CREDENTIAL_NAME}", str(lay.credential), "-"],
        capture_output=True, timeout=60, check=True,
        env={**os.environ, "SYSTEMD_CREDENTIAL_SECRET":
             str(lay.p("/var/lib/systemd/credential.secret"))}).stdout
    assert opened.decode().strip() == KEY.hex()
    for path in lay.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY.hex().encode() not in data and KEY not in data, path
    dropins = {p.name: p.read_text() for p in lay.dropins.iterdir()}
    assert "IPAddressAllow=10.20.30.40/32" in dropins["50-network.conf"]
    assert "kiosk-dummy.conf" in dropins["20-session.conf"]


def test_a_box_without_tty7_or_a_gpu_is_told_which_option_it_needs(tmp_path: Path):
    """Seen as a new operator would in the booted container (no tty7, no GPU): the unit
    failed with 'Failed to set up standard input'. kiosk-provision now says what to add."""
    prov = Provisioner(Layout(Path("/")))
    dev = tmp_path / "dev"
    (dev / "dri").mkdir(parents=True)
    with pytest.raises(ProvisionError, match="no /dev/tty7.*--console none"):
        prov.check_box("gpu", "vt", dev)
    (dev / "tty7").touch()
    with pytest.raises(ProvisionError, match="no GPU device.*--display dummy"):
        prov.check_box("gpu", "vt", dev)
    prov.check_box("dummy", "vt", dev)
    (dev / "dri" / "card0").touch()
    prov.check_box("gpu", "vt", dev)
    prov.check_box("dummy", "none", tmp_path / "nothing")   # no VT, no GPU: both options


def test_a_pin_prompt_closed_without_an_answer_is_one_line(monkeypatch):
    """Seen in the booted container: the prompt's input ended (EOF) and kiosk-provision
    died with a traceback."""
    def no_answer(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", no_answer)
    with pytest.raises(ProvisionError, match="no technician PIN typed"):
        ask_pin()
