"""CPU priorities: background threads really run niced (read back from /proc), the UI
thread does not, and the service unit starts the kiosk at the helper's value."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from kiosk.system import priority
from tests.fixtures.polling import until

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "kiosk.service"
linux_only = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="Linux /proc")


def proc_nice(tid: int) -> int:
    """Field 19 of /proc/self/task/TID/stat (after the parenthesised name)."""
    stat = Path(f"/proc/self/task/{tid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def run_in_thread(fn, name: str = "bg") -> tuple[object, int, int]:
    out: dict[str, object] = {}

    def target() -> None:
        out["tid"] = threading.get_native_id()
        out["result"] = fn()
        out["nice"] = proc_nice(threading.get_native_id())

    t = threading.Thread(target=target, name=name)
    t.start()
    t.join(10)
    assert not t.is_alive()
    return out["result"], int(out["tid"]), int(out["nice"])


@linux_only
def test_background_thread_is_niced_and_the_caller_is_not() -> None:
    before = proc_nice(threading.get_native_id())
    result, tid, nice = run_in_thread(priority.background_thread)
    assert tid != threading.get_native_id()
    assert nice == min(19, before + priority.BACKGROUND_STEP) == result
    assert proc_nice(threading.get_native_id()) == before  # per thread, not per process
    assert priority.thread_nice() == before


@linux_only
def test_capped_at_19_and_never_raised() -> None:
    def twice() -> int | None:
        priority.background_thread(15)
        return priority.background_thread(15)

    result, _tid, nice = run_in_thread(twice)
    assert result == nice == 19
    result, _tid, nice = run_in_thread(lambda: priority.background_thread(-5))
    assert nice == proc_nice(threading.get_native_id())  # a negative step changes nothing


@linux_only
def test_a_refusal_is_logged_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "setpriority", refuse)
    result, _tid, nice = run_in_thread(priority.background_thread)
    assert result is None and nice == proc_nice(threading.get_native_id())


@linux_only
def test_process_nice_lower_needs_privilege_higher_does_not() -> None:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        assert priority.set_process_nice(child.pid, min(19, mine + 3))
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, mine + 3)
        allowed = priority.set_process_nice(child.pid, priority.KIOSK_NICE)
        assert allowed == (os.geteuid() == 0)
    finally:
        child.kill()
        child.wait(5)


def test_the_service_unit_starts_the_kiosk_at_kiosk_nice() -> None:
    found = re.findall(r"^Nice=(-?\d+)$", UNIT.read_text(), re.M)
    assert found == [str(priority.KIOSK_NICE)]


def nice_of_thread(name: str, timeout: float = 5.0) -> int:
    """The nice value of the live thread called ``name``, once it has set it (or, after
    ``timeout``, the one it has: the caller's assertion then says what is wrong)."""
    mine = proc_nice(threading.get_native_id())

    def niced() -> tuple[int] | None:  # a tuple: a nice value of 0 is an answer too
        found = [t for t in threading.enumerate() if t.name == name]
        assert found, f"no thread {name}"
        nice = proc_nice(found[0].native_id)
        return (nice,) if nice != mine else None

    try:
        return until(niced, timeout, f"{name} to set its nice value", interval=0.01)[0]
    except AssertionError as exc:
        if "timed out" not in str(exc):
            raise
        return proc_nice(next(t for t in threading.enumerate() if t.name == name).native_id)


@linux_only
def test_the_outbox_sender_and_the_speaker_run_niced(tmp_path: Path) -> None:
    from kiosk.central.outbox import Outbox
    from kiosk.central.outbox_sender import OutboxSender
    from kiosk.config import load_settings
    from kiosk.devices.speech import Speaker

    want = min(19, proc_nice(threading.get_native_id()) + priority.BACKGROUND_STEP)
    sender = OutboxSender(Outbox(tmp_path / "outbox.sqlite3"), None, poll_interval=0.05)
    sender.start()
    try:
        assert nice_of_thread("outbox-sender") == want
    finally:
        sender.stop()
    speaker = Speaker(load_settings(environ={"KIOSK__SPEECH__ENABLED": "false"}))
    try:
        assert nice_of_thread("speaker") == want
    finally:
        speaker.close()
    assert proc_nice(threading.get_native_id()) == want - priority.BACKGROUND_STEP or want == 19


@linux_only
def test_the_fleet_agent_runs_niced(tmp_path: Path) -> None:
    from kiosk.config import load_settings
    from kiosk.fleet.agent import FleetAgent

    want = min(19, proc_nice(threading.get_native_id()) + priority.BACKGROUND_STEP)
    settings = load_settings(environ={"KIOSK__KIOSK__DATA_DIR": str(tmp_path),
                                      "KIOSK__KIOSK__LOG_DIR": str(tmp_path / "log")})
    agent = FleetAgent(settings, client=None)
    agent.start()
    try:
        assert nice_of_thread("fleet-agent") == want
    finally:
        agent.stop(5)

