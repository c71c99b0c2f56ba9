"""Outside demo mode the technician PIN has at least 8 digits: the hash records how many,
and the configuration check refuses a shorter (or an older, silent) one in one line. The
demo PIN stays 6 digits, in demo mode only."""

from __future__ import annotations

import pytest

from kiosk.config import ConfigError
from kiosk.secrets import (
    DEMO_TECHNICIAN_PIN,
    MIN_TECHNICIAN_PIN_DIGITS,
    hash_pin,
    load_secrets,
    pin_hash_digits,
    verify_pin,
)
from tests.diagnostics.helpers import env_for, settings_for
from tests.fixtures.cli import clean_env, run_kiosk

KEY = "ab" * 32


def _secrets_file(tmp_path, pin_hash: str):
    path = tmp_path / "secrets.toml"
    path.write_text(f'terminal_key = "{KEY}"\ntechnician_pin_hash = "{pin_hash}"\n')
    path.chmod(0o600)
    return path


def _production(tmp_path, path):
    return settings_for(tmp_path, kiosk__demo=False, security__secrets_file=str(path))


def test_the_hash_records_the_length_and_still_verifies():
    stored = hash_pin("13579024", iterations=100)
    assert pin_hash_digits(stored) == 8
    assert verify_pin("13579024", stored) and not verify_pin("1357902", stored)
    old = stored.rsplit("$", 1)[0]  # a hash from before the length was recorded
    assert pin_hash_digits(old) is None and verify_pin("13579024", old)
    assert not verify_pin("13579024", stored + "$9")  # extra fields: not ours


@pytest.mark.parametrize("pin", ["", "1234567a", "１２３４５６７８", "1234 5678"])
def test_only_ascii_digits_can_be_hashed(pin):
    with pytest.raises(ValueError):
        hash_pin(pin, iterations=10)


@pytest.mark.parametrize("pin_hash", [hash_pin("1357902", iterations=10),
                                      hash_pin(DEMO_TECHNICIAN_PIN, iterations=10),
                                      hash_pin("13579024", iterations=10).rsplit("$", 1)[0]])
def test_production_refuses_a_short_or_unmeasured_pin(tmp_path, pin_hash):
    path = _secrets_file(tmp_path, pin_hash)
    with pytest.raises(ConfigError) as err:
        load_secrets(_production(tmp_path, path))
    text = str(err.value)
    assert "\n" not in text and str(path) in text and "technician_pin_hash" in text
    assert f"at least {MIN_TECHNICIAN_PIN_DIGITS} digits" in text


def test_production_accepts_eight_digits(tmp_path):
    path = _secrets_file(tmp_path, hash_pin("13579024", iterations=10))
    assert load_secrets(_production(tmp_path, path)).technician_pin_hash.endswith("$8")


def test_demo_mode_keeps_its_six_digit_pin(tmp_path):
    secrets = load_secrets(settings_for(tmp_path, kiosk__demo=True))  # generated
    assert len(DEMO_TECHNICIAN_PIN) == 6
    assert verify_pin(DEMO_TECHNICIAN_PIN, secrets.technician_pin_hash)


def test_config_check_says_it_in_one_line(tmp_path):
    path = _secrets_file(tmp_path, hash_pin("246810", iterations=10))
    env = clean_env(**env_for(tmp_path, kiosk__demo=False, security__secrets_file=str(path)))
    proc = run_kiosk(["config", "check"], env, timeout=60)
    assert proc.returncode == 2, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "technician_pin_hash" in lines[0]
    assert "at least 8 digits" in lines[0] and "Traceback" not in proc.stderr
