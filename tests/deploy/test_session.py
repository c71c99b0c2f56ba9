"""The kiosk session for real: Xorg with the dummy driver (as on a terminal without a
screen), the out-of-service background, the app's first frame, and a kill -9 of the app
answered by a fresh instance drawing within 3 s."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.deploy.bootcount import check, on_trial
from kiosk.deploy.layout import PROBATION_MAX_STARTS, Layout
from kiosk.system.session import MAX_UNDRAWN_STARTS, TRIAL_CRASHES, TRIAL_WINDOW_S
from tests.deploy.helpers import REPO, production_env
from tests.deploy.running import H, NotifySocket, W, stop
from tests.fixtures.polling import until

pytestmark = [pytest.mark.ui,
              pytest.mark.skipif(not shutil.which("Xorg"), reason="needs xserver-xorg-core")]
DUMMY_CONF = REPO / "deploy" / "xorg" / "kiosk-dummy.conf"
OOS_BACKGROUND = (0x1B, 0x28, 0x38)


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(p) for p in (task / "children").read_text().split()]
    return out


def app_pid(session: int) -> int:
    """The ``kiosk run`` child of the session runner."""
    for pid in children(session):
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"run" in cmd and b"kiosk" in cmd:
            return pid
    raise AssertionError("no kiosk run child")


def x_env(tmp: Path, authority: Path | None = None) -> dict[str, str]:
    """A client's environment: the session's cookie (or ``authority``)."""
    cookie = tmp / "data" / "session" / "Xauthority"   # KIOSK__KIOSK__DATA_DIR is tmp/data
    return {**os.environ, "XAUTHORITY": str(authority or cookie)}


def pixel(display: str, tmp: Path, x: int = 5, y: int = 5) -> tuple[int, ...]:
    shot = tmp / f"shot-{time.monotonic_ns()}.png"
    subprocess.run(["import", "-display", display, "-window", "root", str(shot)],
                   check=True, timeout=30, capture_output=True, env=x_env(tmp))
    text = subprocess.run(["convert", str(shot), "-format", f"%[fx:int(255*p{{{x},{y}}}.r)],"
                           f"%[fx:int(255*p{{{x},{y}}}.g)],%[fx:int(255*p{{{x},{y}}}.b)]",
                           "info:"], capture_output=True, text=True, timeout=30).stdout
    return tuple(int(v) for v in text.split(","))


def wait_pixel(display: str, tmp: Path, pred, timeout: float = 5.0) -> None:
    """Until the top-left pixel satisfies ``pred`` (every wait has a limit)."""
    seen: list[tuple[int, ...]] = [()]

    def matches() -> bool:
        seen[0] = pixel(display, tmp)
        return bool(pred(seen[0]))

    try:
        until(matches, timeout, "the top-left pixel", interval=0.05)
    except AssertionError:
        raise AssertionError(f"pixel stayed {seen[0]}") from None


def start_session(tmp: Path, notify: NotifySocket, *args: str, **extra: str
                  ) -> subprocess.Popen[str]:
    env = {**production_env(tmp, **extra), "NOTIFY_SOCKET": notify.name,
           "WATCHDOG_USEC": "4000000",
           "KIOSK__DISPLAY__WIDTH": str(W), "KIOSK__DISPLAY__HEIGHT": str(H)}
    return subprocess.Popen([sys.executable, "-m", "kiosk.system.session",
                             "--xorg-config", str(DUMMY_CONF), *args], env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_kill_9_of_the_app_shows_out_of_service_and_a_fresh_start_screen_within_3s(
        tmp_path: Path):
    notify = NotifySocket(tmp_path / "notify.sock")
    t0 = time.monotonic()
    session = start_session(tmp_path, notify)
    try:
        first_ready = notify.wait_for("READY=1", timeout=90)
        display = x_display(session.pid)
        # Only a client with the session's cookie gets in (root without it does not).
        denied = subprocess.run(["xset", "-display", display, "q"], capture_output=True,
                                text=True, timeout=30, env=x_env(tmp_path, Path("/dev/null")))
        assert denied.returncode != 0 and "unable to open display" in denied.stderr
        wait_pixel(display, tmp_path, lambda p: p != OOS_BACKGROUND)  # the kiosk covers it
        victim = app_pid(session.pid)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        # Out of service at once, not black and not the dead kiosk's last frame.
        wait_pixel(display, tmp_path, lambda p: p == OOS_BACKGROUND, timeout=1.0)
        # A fresh start screen (how soon is reported below and in README's table).
        again = notify.wait_for("READY=1", timeout=10)
        assert app_pid(session.pid) != victim
        # Every message comes from the runner, the service's main PID (NotifyAccess=main):
        # the app speaks to systemd only through the runner's relay.
        assert {pid for pid, _ in notify.senders} == {session.pid}, notify.senders
        print(f"first frame {first_ready - t0:.2f}s after session start; "
              f"back {again - killed:.2f}s after kill -9")
        session.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1", timeout=15)
        session.wait(15)
        assert session.returncode == 0
    finally:
        stop(session)
        notify.close()


def x_display(session_pid: int) -> str:
    """The display of the session's Xorg child (from its listening unix socket name)."""
    for pid in children(session_pid):
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if cmd and cmd[0].endswith(b"Xorg"):
            inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1]
                      for fd in os.listdir(f"/proc/{pid}/fd")
                      if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")}
            for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
                parts = line.split()
                if len(parts) >= 8 and parts[6] in inodes and "X11-unix/X" in parts[7]:
                    return ":" + parts[7].rsplit("X", 1)[1]
    raise AssertionError("no Xorg child")


def test_an_unprovisioned_terminal_shows_why_on_the_out_of_service_screen(tmp_path: Path):
    """Production refuses the demo's terminal id: the runner starts no app, paints the
    refusal under the out-of-service message, says it in the journal (stderr) and in
    STATUS=, and is up for systemd (READY=1 from the runner, no restart loop)."""
    notify = NotifySocket(tmp_path / "notify.sock")
    session = start_session(tmp_path, notify, KIOSK__KIOSK__TERMINAL_ID="T-DEMO-0001")
    try:
        notify.wait_for("READY=1", timeout=60)
        status = [m for _, m in notify.messages if "STATUS=" in m]
        assert status and "T-DEMO-0001" in status[0] and "not provisioned" in status[0]
        assert {pid for pid, _ in notify.senders} == {session.pid}
        display = x_display(session.pid)
        assert pixel(display, tmp_path) == OOS_BACKGROUND
        # The line at the bottom: light pixels where the note is written.
        shot = tmp_path / "refused.png"
        subprocess.run(["import", "-display", display, "-window", "root", str(shot)],
                       check=True, timeout=30, env=x_env(tmp_path))
        note = subprocess.run(["convert", str(shot), "-crop", f"{W}x{H // 8}+0+{H * 7 // 8}",
                               "-format", "%[fx:maxima.r]", "info:"],
                              capture_output=True, text=True, timeout=30).stdout
        assert float(note) > 0.9, note      # white text on the dark background
        assert not [pid for pid in children(session.pid)
                    if b"run" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
        session.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1", timeout=15)
        session.wait(15)
        assert session.returncode == 0
    finally:
        err = stop(session)
        notify.close()
    lines = [line for line in err.splitlines() if "not provisioned" in line]
    assert len(lines) == 1 and lines[0].startswith("kiosk-session: production:"), err[-2000:]


def test_an_app_that_never_draws_ends_the_session_so_systemd_can_roll_back(tmp_path: Path):
    """A release whose app exits before drawing (here: a secrets file whose key is not
    hex, which only the app reads): after MAX_UNDRAWN_STARTS tries the runner exits 1
    instead of retrying for ever, so systemd restarts the service and bootcount can roll
    back (seen in a booted container: it never did, the new release was 'trusted' after
    5 minutes)."""
    notify = NotifySocket(tmp_path / "notify.sock")
    broken = tmp_path / "broken-secrets.toml"
    broken.write_text('terminal_key = "not hex"\ntechnician_pin_hash = ""\n')
    broken.chmod(0o600)
    session = start_session(tmp_path, notify, KIOSK__SECURITY__SECRETS_FILE=str(broken))
    try:
        session.wait(60)  # gives up after its tries (backoff 1 + 2 s), not for ever
        err = session.stderr.read() if session.stderr else ""
        assert session.returncode == 1, err[-2000:]
        assert f"ended {MAX_UNDRAWN_STARTS} times without drawing" in err
        assert not [m for _, m in notify.messages if "READY=1" in m]
    finally:
        stop(session)
        notify.close()


def installed(root: Path, *, trial: bool) -> Layout:
    """A scratch install: release "new" is current, upgraded from "old" (kept); on trial
    (as the package's upgrade leaves it) or trusted (no probation file)."""
    lay = Layout(root)
    lay.version_dir("new").mkdir(parents=True)
    lay.kept_dir("old").mkdir(parents=True)
    lay.switch("releases/new")
    if trial:
        lay.probation.write_text(json.dumps(
            {"version": "new", "previous": "kept/old", "since": time.time(), "starts": 0}))
    return lay


def crash_after_drawing(session: subprocess.Popen[str], notify: NotifySocket,
                        times: int) -> None:
    """Wait for each app's first frame, then kill it (an abnormal end, as a crash)."""
    for _ in range(times):
        notify.wait_for("READY=1", timeout=90)
        os.kill(app_pid(session.pid), signal.SIGKILL)


def test_a_release_on_trial_that_draws_then_crashes_ends_the_session(tmp_path: Path):
    """Drawing resets the never-drew count; on trial the runner still gives up after
    TRIAL_CRASHES abnormal ends, so systemd restarts the service and bootcount counts it
    (before, such a release was retried here for ever and trusted after the window)."""
    lay = installed(tmp_path / "root", trial=True)
    notify = NotifySocket(tmp_path / "notify.sock")
    assert "start 1 in probation" in check(lay)     # systemd's ExecStartPre, first start
    session = start_session(tmp_path, notify, "--root", str(lay.root))
    try:
        crash_after_drawing(session, notify, TRIAL_CRASHES)
        session.wait(30)
        err = session.stderr.read() if session.stderr else ""
        assert session.returncode == 1, err[-2000:]
        assert f"on trial ended abnormally {TRIAL_CRASHES} times" in err
        assert (f"on trial, {TRIAL_CRASHES - 1} abnormal ends in {TRIAL_WINDOW_S:.0f} s): "
                "restarting") in err
        assert "READY=1" in " ".join(m for _, m in notify.messages)  # it did draw
    finally:
        stop(session)
        notify.close()
    # Each runner exit is one more systemd start; past PROBATION_MAX_STARTS it rolls back.
    for _ in range(PROBATION_MAX_STARTS - 1):
        assert "in probation" in check(lay)
    assert "rolled back from new to old" in check(lay)
    assert lay.current_version() == "old" and not on_trial(lay)


def test_a_trusted_release_that_keeps_crashing_is_restarted_never_given_up(
        tmp_path: Path):
    """Outside the trial the runner must not exit into a bare console (StartLimit would
    stop the unit for good): out of service, then a fresh app, every time."""
    lay = installed(tmp_path / "root", trial=False)
    notify = NotifySocket(tmp_path / "notify.sock")
    session = start_session(tmp_path, notify, "--root", str(lay.root))
    try:
        crash_after_drawing(session, notify, TRIAL_CRASHES + 1)
        notify.wait_for("READY=1", timeout=30)    # and yet another one draws
        assert session.poll() is None
        session.send_signal(signal.SIGTERM)
        session.wait(15)
        assert session.returncode == 0
    finally:
        err = stop(session)
        notify.close()
    assert "giving up" not in err
    assert (f"trusted, {TRIAL_CRASHES + 1} abnormal ends in {TRIAL_WINDOW_S:.0f} s): "
            "restarting") in err
    assert lay.current_version() == "new"
