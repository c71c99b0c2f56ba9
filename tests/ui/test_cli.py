"""``kiosk run`` and ``kiosk tour`` as a user runs them (subprocesses, own Xvfb)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.secrets import hash_pin
from tests.fixtures.cli import run_kiosk
from tests.fixtures.polling import until

pytestmark = pytest.mark.ui


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'terminal_key = "{"ab" * 32}"\n'
                       f'technician_pin_hash = "{hash_pin("13579024", iterations=1000)}"\n')
    secrets.chmod(0o600)
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("KIOSK__", "KIVY", "KCFG_")) and k != "DISPLAY"}
    out.update({
        "KIOSK__KIOSK__DATA_DIR": str(tmp_path / "data"),
        "KIOSK__KIOSK__LOG_DIR": str(tmp_path / "log"),
        "KIOSK__KIOSK__DEMO": "false",
        # production refuses the demo's terminal id and its sandbox (port 8765)
        "KIOSK__KIOSK__TERMINAL_ID": "T-TEST-0001",
        "KIOSK__CENTRAL__BASE_URL": "http://127.0.0.1:9",
        "KIOSK__SECURITY__SECRETS_FILE": str(secrets),
        # production: this test machine has vpcd installed, look for it elsewhere
        "KIOSK__SECURITY__READER_CONF_DIR": str(tmp_path / "no-readers"),
        "KIOSK__SECURITY__PCSC_DRIVER_DIR": str(tmp_path / "no-drivers"),
    })
    return out


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_run_without_a_display_says_so_in_one_line(env):
    proc = run_kiosk(["run"], env)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0] and "--headless" in lines[0]


def test_run_with_a_broken_config_is_one_line_and_exit_2(env, tmp_path):
    bad = tmp_path / "kiosk.toml"
    bad.write_text("[display]\nwidth = 'wide'\n")
    proc = run_kiosk(["run", "--headless", "--config", str(bad)], env)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"kiosk: config error in {bad}: display.width: expected a whole number, got 'wide'"]


def test_run_headless_starts_the_window_on_its_own_xvfb(env, tmp_path):
    proc = run_kiosk(["run", "--headless", "--exit-after", "1.5"], env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "private Xvfb" in proc.stderr
    log = (tmp_path / "log" / "kiosk.log").read_text()
    assert '"ui built"' in log and '"kiosk stop"' in log
    assert (tmp_path / "data" / "kivy").is_dir()  # Kivy's files stay under the data dir


def test_run_stops_cleanly_on_sigterm(env, tmp_path):
    import signal

    log = tmp_path / "log" / "kiosk.log"
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--headless"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:

        def built() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            return log.exists() and '"ui built"' in log.read_text()

        until(built, 60, "the kiosk's window built")
        proc.send_signal(signal.SIGTERM)  # as early as that: a stop is clean at any time
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert '"kiosk stop"' in log.read_text()


def test_tour_writes_a_png_per_screen_state_and_language(env, tmp_path):
    out = tmp_path / "tour"
    proc = run_kiosk(["tour", "--out", str(out), "--screen", "attract", "--screen", "message",
                      "--screen", "app"], env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    for lang in ("zh_CN", "en"):
        for name in (f"attract-default-{lang}", f"message-error-{lang}",
                     f"app-inactivity-warning-{lang}", f"attract-default-{lang}-large",
                     f"attract-default-{lang}-contrast"):
            assert png_size(out / f"{name}.png") == (1920, 1080), name
    assert (out / "tour.json").exists() and "0 problem(s)" in proc.stdout


def test_tour_passes_the_screens_it_once_passed_wrongly(env, tmp_path):
    """The identify screen in English large text (pictures were drawn over the title and
    the header buttons) and the paged screens (a raw "Page {page} of {count}" after a
    session end): the checker finds both kinds, and there are none left."""
    out = tmp_path / "tour"
    proc = run_kiosk(["tour", "--out", str(out), "--screen", "pre_loss", "--screen",
                      "status_progress", "--screen", "cancel_done", "--lang", "en"], env,
                     timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 problem(s)" in proc.stdout and (out / "pre_loss-essc-en-large.png").exists()
    assert (out / "status_progress-mailed-p2-en-large.png").exists()


def test_tour_in_portrait(env, tmp_path):
    out = tmp_path / "tour"
    proc = run_kiosk(["tour", "--out", str(out), "--screen", "attract", "--lang", "zh_CN",
                      "--size", "1080x1920"], env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert png_size(out / "attract-default-zh_CN.png") == (1080, 1920)


def test_bench_startup_prints_its_figures(env):
    import json

    env = dict(env, KIOSK_BENCH_IDLE_SECONDS="1")
    proc = run_kiosk(["bench", "startup", "--runs", "1", "--json"], env)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1 = a target missed
    figures = json.loads(proc.stdout.strip().splitlines()[-1])["startup"]
    assert 0 < figures["first_frame_median_s"] < 30
    assert 0 <= figures["idle_cpu_pct"] < 100 and figures["idle_measured_s"] >= 1


def test_a_private_xvfb_dies_with_the_process_that_started_it():
    code = ("import os\nfrom kiosk.ui.xvfb import Xvfb\nx = Xvfb(320, 240)\n"
            "print(x.proc.pid, flush=True)\nos._exit(3)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)
    pid = int(proc.stdout.strip())

    def gone() -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True  # gone and reaped
        return state in ("Z", "X")  # dead, waiting for init to reap it

    try:
        until(gone, 5, "Xvfb to die with its parent")
    except AssertionError:
        os.kill(pid, 9)
        raise AssertionError("Xvfb outlived its parent") from None
