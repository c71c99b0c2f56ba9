import os

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.secrets import DEMO_TECHNICIAN_PIN, hash_pin, load_secrets, verify_pin


def settings_for(tmp_path, secrets_file="", demo=True):
    env = {"KIOSK__KIOSK__DATA_DIR": f'"{tmp_path}"',
           "KIOSK__KIOSK__DEMO": "true" if demo else "false",
           "KIOSK__SECURITY__SECRETS_FILE": f'"{secrets_file or tmp_path / "none.toml"}"'}
    return load_settings(environ=env)


def test_pin_hash_round_trip_and_no_pin_inside():
    stored = hash_pin("135790", iterations=1000)
    assert "135790" not in stored
    assert verify_pin("135790", stored)
    assert not verify_pin("135791", stored)
    assert not verify_pin("135790", "garbage")
    assert not verify_pin("135790", "md5$1$00$00")


def test_demo_mode_generates_a_private_secrets_file(tmp_path):
    s = settings_for(tmp_path)
    secrets = load_secrets(s)
    path = tmp_path / "demo-secrets.toml"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(secrets.terminal_key) == 32
    assert verify_pin(DEMO_TECHNICIAN_PIN, secrets.technician_pin_hash)
    assert "hidden" in repr(secrets)
    # A second load reuses the same key (the sandbox reads the same file).
    assert load_secrets(s).terminal_key == secrets.terminal_key


def test_production_mode_needs_the_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_secrets(settings_for(tmp_path, demo=False))
    assert "secrets file not found" in str(err.value)


def test_open_permissions_are_refused(tmp_path):
    path = tmp_path / "secrets.toml"
    pin_hash = hash_pin("12345678", iterations=10)
    path.write_text(f'terminal_key = "{"ab" * 32}"\ntechnician_pin_hash = "{pin_hash}"\n')
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError) as err:
        load_secrets(settings_for(tmp_path, path, demo=False))
    assert "too open" in str(err.value)
    os.chmod(path, 0o600)
    loaded = load_secrets(settings_for(tmp_path, path, demo=False))
    assert loaded.terminal_key == bytes.fromhex("ab" * 32)


@pytest.mark.parametrize("body,key", [
    ('technician_pin_hash = "pbkdf2_sha256$1$00$00"\n', "terminal_key"),
    ('terminal_key = "zz"\n', "terminal_key"),
    ('terminal_key = "abcd"\ntechnician_pin_hash = "pbkdf2_sha256$1$00$00"\n', "terminal_key"),
    (f'terminal_key = "{"ab" * 32}"\n', "technician_pin_hash"),
    ("terminal_key = [\n", "-"),
])
def test_malformed_secrets_name_the_key(tmp_path, body, key):
    path = tmp_path / "secrets.toml"
    path.write_text(body)
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError) as err:
        load_secrets(settings_for(tmp_path, path, demo=False))
    assert key in str(err.value)
