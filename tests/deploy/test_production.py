"""Production is the default, and refuses to start on an unsafe terminal (subprocesses)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kiosk.config import load_settings
from tests.deploy.helpers import REPO, production_env
from tests.fixtures.cli import run_kiosk


def one_line_refusal(result, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr      # one clear line, no traceback
    assert lines[0].startswith("kiosk: production:")
    for word in words:
        assert word in lines[0]


def test_the_shipped_config_is_production():
    assert load_settings(environ={}).kiosk.demo is False


def test_missing_secrets_file_refuses(tmp_path: Path):
    env = production_env(tmp_path, KIOSK__SECURITY__SECRETS_FILE=str(tmp_path / "nope.toml"))
    result = run_kiosk(["run", "--headless", "--exit-after", "1"], env, timeout=60)
    one_line_refusal(result, "secrets file", "nope.toml")
    assert not (tmp_path / "data" / "demo-secrets.toml").exists()  # never invented


@pytest.mark.parametrize("url", ["http://10.1.2.3:8080", "http://central.example.org"])
def test_plain_http_to_the_network_refuses(tmp_path: Path, url: str):
    result = run_kiosk(["run", "--headless"],
                       production_env(tmp_path, KIOSK__CENTRAL__BASE_URL=url), timeout=60)
    one_line_refusal(result, "plain HTTP", "https://")


def test_the_demos_terminal_id_refuses(tmp_path: Path):
    """A fresh install never provisioned: it showed the start screen as T-DEMO-0001 and
    reported every heartbeat as offline."""
    env = production_env(tmp_path, KIOSK__KIOSK__TERMINAL_ID="T-DEMO-0001")
    one_line_refusal(run_kiosk(["run", "--headless"], env, timeout=60),
                     "T-DEMO-0001", "not provisioned", "kiosk-provision")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765/",
                                 "http://[::1]:8765"])
def test_the_demos_sandbox_as_central_refuses(tmp_path: Path, url: str):
    env = production_env(tmp_path, KIOSK__CENTRAL__BASE_URL=url)
    one_line_refusal(run_kiosk(["run", "--headless"], env, timeout=60),
                     "the demo's sandbox", "kiosk-provision")


def test_vpcd_configured_refuses(tmp_path: Path):
    env = production_env(tmp_path)
    conf = tmp_path / "reader.conf.d" / "my-readers"
    conf.write_text("LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n")
    one_line_refusal(run_kiosk(["run", "--headless"], env, timeout=60), "vpcd", "my-readers")


def test_vpcd_driver_installed_refuses(tmp_path: Path):
    env = production_env(tmp_path)
    (tmp_path / "drivers" / "serial").mkdir()
    (tmp_path / "drivers" / "serial" / "libifdvpcd.so.0.8").write_bytes(b"\x7fELF")
    one_line_refusal(run_kiosk(["run", "--headless"], env, timeout=60), "vpcd", "libifdvpcd")


def test_this_machines_vpcd_is_found_with_the_default_paths(tmp_path: Path):
    """The defaults are Debian's real paths: on this test machine vpcd is installed."""
    if not Path("/etc/reader.conf.d/vpcd").exists():
        pytest.skip("vpcd not installed here")
    env = production_env(tmp_path)
    for key in ("KIOSK__SECURITY__READER_CONF_DIR", "KIOSK__SECURITY__PCSC_DRIVER_DIR"):
        del env[key]
    one_line_refusal(run_kiosk(["run", "--headless"], env, timeout=60), "vpcd")


def test_a_clean_production_terminal_starts(tmp_path: Path):
    """https or loopback, secrets present, no vpcd: the window comes up and closes."""
    result = run_kiosk(["run", "--headless", "--exit-after", "2"], production_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]


def test_demo_is_asked_for_and_skips_the_production_checks(tmp_path: Path):
    """``kiosk run --demo`` (what ./kiosk.sh run passes) runs where production refuses:
    no secrets file (a demo one is made) and vpcd present."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = production_env(tmp_path, KIOSK__SECURITY__SECRETS_FILE=str(tmp_path / "nope.toml"),
                         KIOSK__CENTRAL__BASE_URL=f"http://127.0.0.1:{port}")
    (tmp_path / "reader.conf.d" / "vpcd").write_text("LIBPATH libifdvpcd.so\n")
    result = run_kiosk(["run", "--demo", "--headless", "--exit-after", "2"], env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "data" / "demo-secrets.toml").exists()
    assert 'run --demo "$@"' in (REPO / "kiosk.sh").read_text()
