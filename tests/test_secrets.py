import os

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.secrets import (
    DEMO_TECHNICIAN_PIN,
    TERMINAL_KEY_CREDENTIAL,
    hash_pin,
    load_secrets,
    verify_pin,
)


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


def pin_only_file(tmp_path):
    """A terminal's secrets file: the PIN hash, no key (kiosk-provision sealed it)."""
    path = tmp_path / "secrets.toml"
    path.write_text(f'technician_pin_hash = "{hash_pin("12345678", iterations=10)}"\n')
    path.chmod(0o600)
    return path


def test_the_sealed_credential_is_the_key(tmp_path, monkeypatch):
    """Under kiosk.service systemd decrypts the sealed key into $CREDENTIALS_DIRECTORY."""
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / TERMINAL_KEY_CREDENTIAL).write_text("cd" * 32 + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    settings = settings_for(tmp_path, pin_only_file(tmp_path), demo=False)
    assert load_secrets(settings).terminal_key == bytes.fromhex("cd" * 32)
    # It wins over a key left in the file.
    other = tmp_path / "other.toml"
    other.write_text(f'terminal_key = "{"ab" * 32}"\n'
                     f'technician_pin_hash = "{hash_pin("12345678", iterations=10)}"\n')
    other.chmod(0o600)
    assert load_secrets(settings_for(tmp_path, other, demo=False)).terminal_key == \
        bytes.fromhex("cd" * 32)


@pytest.mark.parametrize("text", ["zz" * 32, "ab" * 8, ""])
def test_a_bad_credential_is_one_line_naming_it(tmp_path, monkeypatch, text):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / TERMINAL_KEY_CREDENTIAL).write_text(text)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    with pytest.raises(ConfigError) as err:
        load_secrets(settings_for(tmp_path, pin_only_file(tmp_path), demo=False))
    assert TERMINAL_KEY_CREDENTIAL in str(err.value) and "\n" not in str(err.value)


def test_no_key_in_the_file_and_no_credential_says_where_it_comes_from(tmp_path, monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError) as err:
        load_secrets(settings_for(tmp_path, pin_only_file(tmp_path), demo=False))
    assert "kiosk-provision" in str(err.value) and "terminal_key" in str(err.value)
    # An empty credentials directory (another unit's, say) is the same: no key.
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="kiosk-provision"):
        load_secrets(settings_for(tmp_path, pin_only_file(tmp_path), demo=False))
