"""Demo mode brings up the real stack (private pcscd + vpcd + virtual cards + sandbox)."""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from kiosk.cli.common import CliError
from kiosk.config import load_settings
from kiosk.demo import sandbox_address, start_demo_services
from kiosk.devices.virtual.slots import control_socket_path, send_command
from tests.fixtures.cli import run_kiosk
from tests.fixtures.polling import until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_env(tmp_path: Path, port: int) -> dict[str, str]:
    return {"KIOSK__KIOSK__DEMO": "true", "KIOSK__KIOSK__DATA_DIR": f'"{tmp_path}"',
            "KIOSK__CENTRAL__BASE_URL": f'"http://127.0.0.1:{port}"'}


def test_demo_services_serve_cards_and_the_sandbox(tmp_path, monkeypatch):
    port = free_port()
    env = demo_env(tmp_path, port)
    settings = load_settings(environ=env)
    saved = os.environ.get("PCSCLITE_CSOCK_NAME")
    services = start_demo_services(settings)
    try:
        assert services.sandbox_url == f"http://127.0.0.1:{port}"
        # Unsigned calls are refused: the sandbox checks the terminal signature.
        resp = requests.post(f"{services.sandbox_url}/v1/persons/lookup",
                             json={"card_number": "X00000019"}, timeout=5)
        assert resp.status_code in (401, 403)
        answer = send_command(control_socket_path(settings),
                              {"cmd": "insert", "persona": "normal"})
        assert answer["ok"] is True
        child_env = {**os.environ, **env}
        result = run_kiosk(["read-card", "--json", "--timeout", "10"], child_env, timeout=60)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["data"]["card_number"] == "*****0019"
        assert "X00000019" not in result.stdout
    finally:
        services.stop()
        if saved is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = saved
    assert services.parts == []


def test_demo_refuses_a_remote_central_url(tmp_path):
    settings = load_settings(environ={"KIOSK__CENTRAL__BASE_URL": '"https://central.example"',
                                      "KIOSK__KIOSK__DATA_DIR": f'"{tmp_path}"'})
    with pytest.raises(CliError) as err:
        sandbox_address(settings)
    assert "127.0.0.1" in str(err.value)


def test_demo_port_in_use_is_one_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        settings = load_settings(environ=demo_env(tmp_path, port))
        with pytest.raises(CliError) as err:
            start_demo_services(settings, pcsc=False)
    assert "another kiosk demo" in str(err.value)


def listening(path: str) -> list[tuple[str, int]]:
    """(address hex, port) of every LISTEN socket in a /proc/net/tcp{,6} file."""
    out = []
    for line in Path(path).read_text().splitlines()[1:]:
        parts = line.split()
        if parts[3] == "0A":  # TCP_LISTEN
            addr, port = parts[1].rsplit(":", 1)
            out.append((addr, int(port, 16)))
    return out


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


def read_card(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_kiosk(["read-card", "--json", "--timeout", "8"], {**os.environ, **env},
                     timeout=60)


def test_demo_listens_on_loopback_only_and_survives_a_pcscd_kill_9(tmp_path):
    port = free_port()
    env = demo_env(tmp_path, port)
    settings = load_settings(environ=env)
    saved = os.environ.get("PCSCLITE_CSOCK_NAME")
    services = start_demo_services(settings)
    try:
        # Nothing of the demo listens beyond loopback in this machine's network:
        # vpcd's ports are only in pcscd's private namespace (which has only lo).
        host = listening("/proc/net/tcp") + listening("/proc/net/tcp6")
        vpcd = {services.vpcd_port, services.vpcd_port + 1}
        assert not [p for _, p in host if p in vpcd]
        assert all(addr in LOOPBACK for addr, p in host if p == port)
        pid = services.pcscd.proc.pid
        inside = listening(f"/proc/{pid}/net/tcp") + listening(f"/proc/{pid}/net/tcp6")
        assert vpcd <= {p for _, p in inside}          # isolated, not absent
        links = Path(f"/proc/{pid}/net/dev").read_text().split("\n")[2:]
        assert [ln.split(":")[0].strip() for ln in links if ln.strip()] == ["lo"]

        assert send_command(control_socket_path(settings),
                            {"cmd": "insert", "persona": "normal"})["ok"] is True
        assert read_card(env).returncode == 0

        # A command from another terminal, with the shipped (production) config, joins
        # the running demo: its secrets and its pcscd.
        child = {k: v for k, v in {**os.environ, **env}.items() if k != "KIOSK__KIOSK__DEMO"}
        diag = run_kiosk(["diagnose", "--json", "--part", "config"], child, timeout=60)
        check = json.loads(diag.stdout)["checks"][0]
        assert check["status"] == "ok" and check["details"]["demo"] is True, diag.stdout

        # kill -9 of the demo's pcscd: the supervisor starts a new one, the card
        # reconnects into its new namespace, and a read works again within seconds.
        services.pcscd.kill()
        killed = time.monotonic()
        tries: list[subprocess.CompletedProcess[str]] = []

        def reads() -> bool:
            tries.append(read_card(env))
            return tries[-1].returncode == 0

        try:
            until(reads, 15, "a card read after the pcscd restart", interval=0.3)
        except AssertionError:
            raise AssertionError(tries[-1].stderr) from None
        assert services.supervisor.restarts >= 1
        print(f"card read again {time.monotonic() - killed:.1f}s after kill -9 of pcscd")
    finally:
        services.stop()
        if saved is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = saved
