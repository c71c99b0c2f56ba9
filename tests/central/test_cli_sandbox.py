"""``kiosk sandbox``: loopback-only by default, OpenAPI export, a real foreground server."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys

import requests

from kiosk.central.client import CentralClient
from kiosk.central.sandbox.openapi import render
from kiosk.cli.main import main
from kiosk.devices.virtual.cards import id_card_data
from kiosk.domain.masking import mask_card_number
from kiosk.personas import persona
from kiosk.secrets import load_secrets
from tests.fixtures.polling import until


def test_refuses_a_non_loopback_host(capsys):
    assert main(["sandbox", "--host", "0.0.0.0"]) == 1
    err = capsys.readouterr().err
    assert "--allow-remote" in err and len(err.strip().splitlines()) == 1


def test_writes_the_openapi_document(tmp_path):
    out = tmp_path / "openapi.json"
    assert main(["sandbox", "--write-openapi", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render()


def test_foreground_sandbox_serves_signed_calls(tmp_path, central_settings):
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    port, admin_port = ports
    env = {**os.environ, "KIOSK__KIOSK__DATA_DIR": str(tmp_path),
           "KIOSK__SECURITY__SECRETS_FILE": central_settings.security.secrets_file}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "sandbox", "--port", str(port),
                             "--admin-port", str(admin_port),
                             "--db", str(tmp_path / "sb.db")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            assert proc.poll() is None, proc.stdout.read()
            try:
                requests.get(url + "/v1/openapi.json", timeout=1).raise_for_status()
            except requests.RequestException:
                return False
            return True

        until(answers, 20, "the sandbox answering")
        settings = dataclasses.replace(central_settings, central=dataclasses.replace(
            central_settings.central, base_url=url))
        with CentralClient(settings, load_secrets(settings)) as client:
            person = client.lookup_by_id_card(id_card_data("normal"))
        assert person.cards[0].card_number_masked == mask_card_number(
            persona("normal")["ssc"]["card_number"])
        token_file = tmp_path / "sandbox-admin.token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        admin = f"http://127.0.0.1:{admin_port}/admin/health"
        assert requests.get(admin, timeout=5).status_code == 401
        assert requests.get(url + "/admin/health", timeout=5).status_code == 404
        token = token_file.read_text(encoding="utf-8").strip()
        assert requests.get(admin, headers={"Authorization": f"Bearer {token}"},
                            timeout=5).json()["ok"] is True
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert persona("normal")["id"]["id_number"] not in out  # access log: paths only
