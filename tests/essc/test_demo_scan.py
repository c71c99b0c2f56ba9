"""``kiosk card scan`` against the demo's virtual scanner and sandbox, read by the real
scanner watcher and verified by the real client; and the logs of all of it."""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess

import pytest

from kiosk.central.client import CentralClient, new_idempotency_key
from kiosk.central.errors import CentralRefused
from kiosk.config import load_settings
from kiosk.demo import start_demo_services
from kiosk.devices.scanner import ScanEventKind, make_scanner
from kiosk.logs import setup_logging
from kiosk.secrets import load_secrets
from tests.fixtures.cli import run_kiosk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo(tmp_path):
    env = {"KIOSK__KIOSK__DEMO": "true", "KIOSK__KIOSK__DATA_DIR": f'"{tmp_path}"',
           "KIOSK__KIOSK__LOG_DIR": f'"{tmp_path / "log"}"',
           "KIOSK__CENTRAL__BASE_URL": f'"http://127.0.0.1:{free_port()}"'}
    settings = load_settings(environ=env)
    log_file = setup_logging(settings.log_dir, level=logging.DEBUG)
    services = start_demo_services(settings, pcsc=False)
    events: queue.Queue = queue.Queue()
    watcher = make_scanner(settings, events.put, backoff_min=0.05)
    watcher.start()
    assert events.get(timeout=5).kind is ScanEventKind.SCANNER_READY
    client = CentralClient(settings, load_secrets(settings))
    yield settings, {**os.environ, **env}, events, client, log_file
    client.close()
    watcher.stop()
    services.stop()
    handler = logging.getLogger("kiosk").handlers
    for h in list(handler):
        if getattr(h, "baseFilename", "") == str(log_file):
            logging.getLogger("kiosk").removeHandler(h)
            h.close()


def scan(env, *args: str) -> subprocess.CompletedProcess:
    return run_kiosk(["card", "scan", *args], env, timeout=60)


def test_card_scan_then_verify_and_pre_loss_without_logging_a_code(demo):
    settings, env, events, client, log_file = demo
    seen: list[str] = []
    out = scan(env, "normal")
    assert out.returncode == 0, out.stderr
    assert "scanned a code of 46 characters" in out.stdout
    ev = events.get(timeout=5)
    seen.append(ev.code.text)
    who = client.verify_essc(ev.code.text)
    assert who.name == "王**"
    client.submit_pre_loss(who.cards[0].handle, new_idempotency_key())
    for flag, refusal in (("--expired", "expired"), ("--reuse", "already_used")):
        assert scan(env, "normal", flag).returncode == 0
        code = events.get(timeout=5).code.text
        seen.append(code)
        with pytest.raises(CentralRefused) as info:
            client.verify_essc(code)
        assert info.value.code == refusal
    assert seen[0] not in out.stdout + out.stderr  # the command never sees the code
    for handler in logging.getLogger("kiosk").handlers:
        handler.flush()
    logs = log_file.read_text(encoding="utf-8")
    assert "code scanned" in logs and ev.code.digest in logs
    for code in seen:
        assert code not in logs
        assert code[6:20] not in logs  # not even a piece of it


def test_card_scan_errors_are_one_line(demo):
    _, env, events, _, _ = demo
    for args, words in ((["unknown"], "has no e-SSC"), (["nosuch"], "unknown persona"),
                        ([], "give a PERSONA")):
        out = scan(env, *args)
        assert out.returncode == 1 and words in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert events.empty()


def test_card_scan_text_unplug_replug(demo):
    _, env, events, client, _ = demo
    assert scan(env, "--text", "https://pay.example.com/qr/123456").returncode == 0
    with pytest.raises(CentralRefused) as info:
        client.verify_essc(events.get(timeout=5).code.text)
    assert info.value.code == "not_an_essc"
    assert "unplugged" in scan(env, "--unplug").stdout
    assert events.get(timeout=5).kind is ScanEventKind.SCANNER_LOST
    assert "plugged in" in scan(env, "--replug").stdout
    assert events.get(timeout=5).kind is ScanEventKind.SCANNER_BACK


def test_no_demo_running_is_one_line(tmp_path):
    env = {**os.environ, "KIOSK__KIOSK__DATA_DIR": f'"{tmp_path}"'}
    out = scan(env, "normal")
    assert out.returncode == 1 and "no virtual QR scanner running" in out.stderr
