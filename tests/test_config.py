"""Configuration: defaults, site profiles, environment, and one-line errors for bad input."""

import os
import subprocess
from pathlib import Path

import pytest

from kiosk.config import DEFAULT_CONFIG, ConfigError, load_settings
from tests.fixtures.cli import run_kiosk


def write_config(tmp_path: Path, text: str, sites: dict[str, str] | None = None) -> Path:
    base = tmp_path / "kiosk.toml"
    base.write_text(text, encoding="utf-8")
    (tmp_path / "sites").mkdir()
    for name, body in (sites or {}).items():
        (tmp_path / "sites" / f"{name}.toml").write_text(body, encoding="utf-8")
    return base


def test_shipped_defaults_load_for_both_sites():
    medical = load_settings(environ={})
    assert medical.kiosk.site == "medical"
    assert medical.features.cancel_pre_loss is False
    outlet = load_settings(environ={"KIOSK__KIOSK__SITE": '"outlet"'})
    assert outlet.kiosk.site == "outlet"
    assert outlet.features.cancel_pre_loss is True
    assert outlet.sources[1].endswith("sites/outlet.toml")


def test_environment_overrides_win(tmp_path):
    s = load_settings(environ={"KIOSK__SESSION__INACTIVITY_SECONDS": "120",
                               "KIOSK__REGION__HOTLINE": "12333"})
    assert s.session.inactivity_seconds == 120
    assert s.region.hotline == "12333"


def test_region_timezone_defaults_to_beijing_and_can_be_set():
    assert load_settings(environ={}).region.timezone == "Asia/Shanghai"
    s = load_settings(environ={"KIOSK__REGION__TIMEZONE": "Asia/Urumqi"})
    assert s.region.timezone == "Asia/Urumqi"


def test_site_profile_overrides_base(tmp_path):
    base = write_config(tmp_path, '[kiosk]\nsite = "outlet"\n[session]\ninactivity_seconds = 60\n',
                        {"outlet": "[session]\ninactivity_seconds = 95\n"})
    assert load_settings(base, environ={}).session.inactivity_seconds == 95


@pytest.mark.parametrize("body,key,fragment", [
    ("[kiosk]\nsite = 'airport'\n", "kiosk.site", "must be one of"),
    ("[session]\ninactivity_seconds = 'soon'\n", "session.inactivity_seconds", "whole number"),
    ("[session]\ninactivity_seconds = 2\n", "session.inactivity_seconds", "between"),
    ("[display]\nwidth = 1920.5\n", "display.width", "whole number"),
    ("[nonsense]\nx = 1\n", "nonsense", "unknown section"),
    ("[kiosk]\ncolour = 'red'\n", "kiosk.colour", "unknown key"),
    ("[kiosk]\nsite = 'medical'\n[features]\ncancel_pre_loss = true\n",
     "features.cancel_pre_loss", "outlet sites only"),
    ("[session]\ninactivity_seconds = 30\nwarning_seconds = 30\n",
     "session.warning_seconds", "shorter"),
    ("[central]\nbase_url = 'ftp://x'\n", "central.base_url", "http"),
    ("[printer]\nkind = 'network'\n", "printer.target", "needs a target"),
    ("[region]\nhotline = '96-102'\n", "region.hotline", "digits"),
    ("[region]\ntimezone = 'Beijing'\n", "region.timezone", "unknown time zone"),
    ("[kiosk\nsite=1", "-", "not valid TOML"),
])
def test_bad_config_names_file_and_key(tmp_path, body, key, fragment):
    base = write_config(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_settings(base, environ={})
    message = str(err.value)
    assert "\n" not in message
    assert str(base) in message
    assert key in message
    assert fragment in message


def test_bad_environment_override_is_named():
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"KIOSK__CENTRAL__RETRIES": "many"})
    assert "environment" in str(err.value) and "central.retries" in str(err.value)
    with pytest.raises(ConfigError):
        load_settings(environ={"KIOSK__NOSECTION": "1"})


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "absent.toml", environ={})
    assert "file not found" in str(err.value)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_kiosk(args, {**os.environ, **(env or {})}, timeout=60)


def test_cli_bad_config_is_one_line_and_nonzero(tmp_path):
    base = write_config(tmp_path, "[session]\ninactivity_seconds = 'soon'\n")
    result = run_cli("config", "check", "--config", str(base))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "session.inactivity_seconds" in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_config_check_ok(tmp_path):
    env = {"KIOSK__KIOSK__DATA_DIR": f'"{tmp_path}"'}
    result = run_cli("config", "check", "--config", str(DEFAULT_CONFIG), env=env)
    assert result.returncode == 0, result.stderr
    assert "config ok" in result.stdout


def test_cli_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("kiosk ")
