"""Unusable paths and bad numbers on the command line: one line on stderr, non-zero exit.

Tests run as root, which read-only modes do not stop, so an unusable path here is one
whose parent is a regular file (``afile/sub``) or lives under ``/proc``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.cli.main import describe_os_error
from kiosk.secrets import hash_pin
from tests.fixtures.cli import one_line_error, run_kiosk


@pytest.fixture
def afile(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a directory\n")
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("KIOSK__", "KIVY", "KCFG_")) and k != "DISPLAY"}
    out.update({"KIOSK__KIOSK__DATA_DIR": str(tmp_path / "data"),
                "KIOSK__KIOSK__LOG_DIR": str(tmp_path / "log"),
                "KIOSK__KIOSK__DEMO": "true"})
    return out


@pytest.fixture
def secrets_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'terminal_key = "{"ab" * 32}"\n'
                       f'technician_pin_hash = "{hash_pin("13579024", iterations=1000)}"\n')
    secrets.chmod(0o600)
    return {**env, "KIOSK__KIOSK__DEMO": "false", "KIOSK__SECURITY__SECRETS_FILE": str(secrets),
            # production refuses the demo's terminal id and its sandbox (port 8765)
            "KIOSK__KIOSK__TERMINAL_ID": "T-TEST-0001",
            "KIOSK__CENTRAL__BASE_URL": "http://127.0.0.1:9",
            # production: this test machine has vpcd installed, look for it elsewhere
            "KIOSK__SECURITY__READER_CONF_DIR": str(tmp_path / "no-readers"),
            "KIOSK__SECURITY__PCSC_DRIVER_DIR": str(tmp_path / "no-drivers")}


def test_tour_out_under_proc(env):
    line = one_line_error(run_kiosk(["tour", "--out", "/proc/x"], env))
    assert line == "kiosk: cannot create the tour output directory /proc/x: " \
                   "No such file or directory"


def test_tour_out_is_an_existing_file(env, afile):
    line = one_line_error(run_kiosk(["tour", "--out", str(afile)], env))
    assert line == f"kiosk: cannot create the tour output directory {afile}: a file is in the way"


@pytest.mark.ui
def test_tour_runs_in_its_own_home_whatever_the_configured_folders(env, afile, tmp_path):
    """A tour never uses the configured data folder (it used to fail on an unusable one,
    or on an outbox there that could not be opened): it runs in a home of its own."""
    env = {**env, "KIOSK__KIOSK__DATA_DIR": str(afile / "sub"),
           "KIOSK__KIOSK__LOG_DIR": str(afile / "log")}
    proc = run_kiosk(["tour", "--out", str(tmp_path / "shots"), "--screen", "attract",
                      "--lang", "en"], env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert afile.is_file() and not (afile.parent / "sub").exists()
    assert (tmp_path / "shots" / "attract-default-en.png").exists()


def test_run_demo_data_dir_unusable(env, afile):
    # Demo mode writes its secrets file into the data directory first.
    env = {**env, "KIOSK__KIOSK__DEMO": "true", "KIOSK__KIOSK__DATA_DIR": str(afile / "sub"),
           "KIOSK__SECURITY__SECRETS_FILE": str(afile.parent / "none.toml")}
    line = one_line_error(run_kiosk(["run"], env))
    assert line == f"kiosk: cannot create the data directory {afile / 'sub'}: Not a directory"


def test_run_data_dir_unusable_with_a_secrets_file(secrets_env, afile):
    env = {**secrets_env, "KIOSK__KIOSK__DATA_DIR": str(afile / "sub")}
    line = one_line_error(run_kiosk(["run"], env))
    assert line == f"kiosk: cannot create the data directory {afile / 'sub'}: Not a directory"


def test_run_log_dir_unusable(secrets_env, afile):
    env = {**secrets_env, "KIOSK__KIOSK__LOG_DIR": str(afile / "log")}
    line = one_line_error(run_kiosk(["run"], env))
    assert line == f"kiosk: cannot create the log directory {afile / 'log'}: Not a directory"


def test_run_log_file_unusable(secrets_env, tmp_path):
    # The log directory exists but the log file is a directory: caught at set-up, not
    # as a "--- Logging error ---" on the first record.
    (tmp_path / "log" / "kiosk.log").mkdir(parents=True)
    line = one_line_error(run_kiosk(["run"], secrets_env))
    assert line.startswith(f"kiosk: cannot write the log file {tmp_path / 'log' / 'kiosk.log'}: ")


def test_sandbox_demo_data_dir_unusable(env, afile):
    env = {**env, "KIOSK__KIOSK__DEMO": "true", "KIOSK__KIOSK__DATA_DIR": str(afile / "sub"),
           "KIOSK__SECURITY__SECRETS_FILE": str(afile.parent / "none.toml")}
    line = one_line_error(run_kiosk(["sandbox", "--port", "1"], env))
    assert line == f"kiosk: cannot create the data directory {afile / 'sub'}: Not a directory"


def test_sandbox_data_dir_unusable_with_a_secrets_file(secrets_env, afile):
    env = {**secrets_env, "KIOSK__KIOSK__DATA_DIR": str(afile / "sub")}
    line = one_line_error(run_kiosk(["sandbox", "--port", "1"], env))
    assert line == (f"kiosk: cannot create the sandbox database directory {afile / 'sub'}: "
                    "Not a directory")


def test_sandbox_db_is_a_directory(secrets_env, tmp_path):
    line = one_line_error(run_kiosk(["sandbox", "--port", "1", "--db", str(tmp_path)], secrets_env))
    assert line.startswith(f"kiosk: cannot open the sandbox database {tmp_path}: ")


def test_unforeseen_os_error_is_one_line_error(env):
    # --write-openapi has no path check of its own: main's OSError net catches it.
    line = one_line_error(run_kiosk(["sandbox", "--write-openapi", "/proc/x/openapi.json"], env))
    assert line == "kiosk: cannot use /proc/x/openapi.json: No such file or directory"


def test_describe_os_error():
    assert describe_os_error(PermissionError(13, "Permission denied", "/a")) == \
        "cannot use /a: Permission denied"
    assert describe_os_error(OSError(28, "No space left on device")) == \
        "system error: No space left on device"


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_read_card_timeout_must_be_positive(env, value):
    proc = run_kiosk(["read-card", "--timeout", value], env)
    assert proc.returncode == 2
    assert one_line_error(proc).startswith("kiosk read-card: argument --timeout: ")


@pytest.mark.parametrize("value", ["0", "-3", "1.5"])
def test_bench_runs_at_least_one(env, value):
    proc = run_kiosk(["bench", "cards", "--runs", value], env)
    assert proc.returncode == 2
    assert one_line_error(proc).startswith("kiosk bench: argument --runs: ")
