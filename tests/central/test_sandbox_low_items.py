"""Small holes in the sandbox, each shut and kept shut: a huge
number or a lone surrogate is a 422, never a 500; ``kiosk sandbox`` makes a missing data
directory (0700) instead of exiting; its databases and uploaded bundles are private; the
``Idempotency-Key`` header is covered by the request signature."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.signing import SignatureError, sign_request, verify_request
from tests.fixtures.cli import REPO, clean_env
from tests.fixtures.polling import until

TERMINAL = "T-DEMO-0001"
KEY = b"k" * 32


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _signed_post(sandbox, key: bytes, path: str, raw: bytes,
                 idempotency_key: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json",
               **sign_request(key, TERMINAL, "POST", path, raw,
                              idempotency_key=idempotency_key)}
    return requests.post(sandbox.url + path, data=raw, headers=headers, timeout=5)


def test_a_signed_heartbeat_with_a_huge_outbox_depth_is_422(sandbox, central_secrets):
    doc = {"terminal_id": TERMINAL, "clock": "2026-12-01T00:00:00+00:00", "version": "1",
           "outbox_depth": 10**30}
    resp = _signed_post(sandbox, central_secrets.terminal_key, s.Path.HEARTBEAT,
                        json.dumps(doc).encode())
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "validation_error" and "outbox_depth" in resp.text
    assert sandbox.admin("GET", "/heartbeats") == []


def test_a_lone_surrogate_in_a_signed_request_is_422(sandbox, central_secrets):
    raw = (b'{"terminal_id": "T-DEMO-0001", "clock": "2026-12-01T00:00:00+00:00", '
           b'"version": "\\ud800", "outbox_depth": 0}')
    resp = _signed_post(sandbox, central_secrets.terminal_key, s.Path.HEARTBEAT, raw)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "validation_error"


@pytest.mark.parametrize("path,raw", [
    ("/replacements/advance", b'{"card_number": "\\ud800"}'),
    ("/replacements/apply", b'{"card_number": "X00000019", "outlet": "\\udfff"}'),
    ("/essc/codes", b'{"persona": "\\ud800"}'),
])
def test_a_lone_surrogate_at_the_admin_side_is_422_not_500(sandbox, path, raw):
    resp = requests.post(f"{sandbox.admin_url}/admin{path}", data=raw, timeout=5,
                         headers={"Authorization": f"Bearer {sandbox.admin_token}",
                                  "Content-Type": "application/json"})
    assert resp.status_code == 422, (resp.status_code, resp.text)


def test_the_idempotency_key_is_signed():
    body = b'{"a":1}'
    headers = sign_request(KEY, "T1", "POST", "/v1/pre_losses", body, now=1000,
                           idempotency_key="key-0000000001")
    assert headers[s.IDEMPOTENCY_HEADER] == "key-0000000001"
    who = verify_request({"T1": KEY}, "POST", "/v1/pre_losses", body, headers, 300, now=1000)
    assert who.terminal_id == "T1"
    swapped = {**headers, s.IDEMPOTENCY_HEADER: "key-0000000002"}
    dropped = {k: v for k, v in headers.items() if k != s.IDEMPOTENCY_HEADER}
    unsigned = sign_request(KEY, "T1", "POST", "/v1/pre_losses", body, now=1000)
    added = {**unsigned, s.IDEMPOTENCY_HEADER: "key-0000000001"}
    malformed = {**headers, s.IDEMPOTENCY_HEADER: "key 0000000001\u00e9"}
    for tampered in (swapped, dropped, added, malformed):
        with pytest.raises(SignatureError) as err:
            verify_request({"T1": KEY}, "POST", "/v1/pre_losses", body, tampered, 300,
                           now=1000)
        assert err.value.code == "bad_signature"


def test_a_swapped_idempotency_key_is_refused_by_the_service(sandbox, central_secrets):
    """On the wire: the request signed with one key, sent with another, is the one 401
    and changes nothing; the same request untampered goes through."""
    raw = json.dumps({"terminal_id": TERMINAL, "clock": "2026-12-01T00:00:00+00:00",
                      "version": "1", "outbox_depth": 0}).encode()
    key = central_secrets.terminal_key
    headers = {"Content-Type": "application/json",
               **sign_request(key, TERMINAL, "POST", s.Path.HEARTBEAT, raw,
                              idempotency_key="idem-original-01")}
    swapped = {**headers, s.IDEMPOTENCY_HEADER: "idem-swapped-0001"}
    resp = requests.post(sandbox.url + s.Path.HEARTBEAT, data=raw, headers=swapped, timeout=5)
    assert resp.status_code == 401 and resp.json()["code"] == "bad_signature"
    assert sandbox.admin("GET", "/heartbeats") == []
    resp = requests.post(sandbox.url + s.Path.HEARTBEAT, data=raw, headers=headers, timeout=5)
    assert resp.status_code == 200, resp.text


def _free_ports(n: int) -> list[int]:
    ports = []
    for _ in range(n):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    return ports


def test_kiosk_sandbox_makes_a_missing_data_dir_and_keeps_its_files_private(
        tmp_path, central_settings):
    """``kiosk sandbox`` with a data directory (and a database directory) that do not
    exist yet: both made 0700; the token 0600; the databases and their WAL files 0600."""
    data = tmp_path / "missing" / "data"
    db = tmp_path / "elsewhere" / "sb.db"
    port, admin_port = _free_ports(2)
    env = clean_env(KIOSK__KIOSK__DEMO="true", KIOSK__KIOSK__DATA_DIR=str(data),
                    KIOSK__SECURITY__SECRETS_FILE=central_settings.security.secrets_file)
    old = os.umask(0o022)  # the usual umask: files would be 0644 without the fix
    try:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "sandbox", "--port",
                                 str(port), "--admin-port", str(admin_port), "--db", str(db)],
                                cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    finally:
        os.umask(old)
    try:

        def answers() -> bool:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                requests.get(f"http://127.0.0.1:{port}/v1/openapi.json",
                             timeout=1).raise_for_status()
            except requests.RequestException:
                return False
            return True

        until(answers, 30, "the sandbox answering")
        assert _mode(data) == 0o700 and _mode(db.parent) == 0o700
        assert _mode(data / "sandbox-admin.token") == 0o600
        made = sorted(p.name for p in db.parent.iterdir())
        assert "sb.db" in made and "sb-fleet.db" in made
        for path in db.parent.iterdir():
            assert _mode(path) == 0o600, (path.name, oct(_mode(path)))
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_an_old_world_readable_sandbox_database_is_made_private(tmp_path):
    from kiosk.central.sandbox.rules import RegionalRules
    from kiosk.central.sandbox.store import SandboxStore

    db = tmp_path / "sb.db"
    SandboxStore(db, RegionalRules()).close()
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    SandboxStore(db, RegionalRules()).close()
    for path in tmp_path.iterdir():
        assert _mode(path) == 0o600, path.name
