"""Demo mode brings up the real stack (private pcscd + vpcd + virtual cards + sandbox)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kiosk.cli.common import CliError
from kiosk.config import load_settings
from kiosk.demo import sandbox_address, start_demo_services
from kiosk.devices.virtual.slots import control_socket_path, send_command

REPO = Path(__file__).resolve().parent.parent


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
        result = subprocess.run([sys.executable, "-m", "kiosk", "read-card", "--json",
                                 "--timeout", "10"], cwd=REPO, env=child_env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["data"]["card_number"] == "X*****019"
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
