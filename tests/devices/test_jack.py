"""Headphone jack sources: the evdev switch read from a FIFO that speaks the kernel's
``struct input_event`` records (the fake jack source), the ALSA jack control through an
``amixer`` stand-in, the watcher's changes and retries, and what diagnostics says when
the hardware gives no jack signal."""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.devices.jack import (
    EV_SW,
    INPUT_EVENT,
    SW_HEADPHONE_INSERT,
    AlsaJack,
    EvdevJack,
    JackState,
    JackWatcher,
    find_jack_source,
    probe_jack,
)
from kiosk.devices.probes import DeviceProbes
from kiosk.services.diagnostics.checks.headphones import check_headphones
from kiosk.services.diagnostics.context import DiagnosticsContext
from tests.fixtures.polling import until

EV_SYN, EV_KEY = 0x00, 0x01


def _settings(**access: str):
    base = load_settings(environ={})
    return dataclasses.replace(base, access=dataclasses.replace(base.access, **access))


def event(ev_type: int, code: int, value: int) -> bytes:
    now = time.time()
    return INPUT_EVENT.pack(int(now), int(now % 1 * 1e6), ev_type, code, value)


class FakeJack:
    """A FIFO in place of /dev/input/eventN: the test plugs and unplugs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.fd: int | None = None

    def open(self) -> None:
        # Blocks until the reader (the watcher's thread) has the other end open.
        self.fd = os.open(self.path, os.O_WRONLY)

    def send(self, *records: bytes) -> None:
        assert self.fd is not None
        os.write(self.fd, b"".join(records))

    def plug(self, inserted: bool) -> None:
        self.send(event(EV_SW, SW_HEADPHONE_INSERT, int(inserted)), event(EV_SYN, 0, 0))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def test_evdev_records_from_the_fake_jack_source(tmp_path: Path):
    fake = FakeJack(tmp_path / "event-jack")
    seen: list[JackState] = []
    watcher = JackWatcher(EvdevJack(fake.path), seen.append, retry_seconds=0.05)
    watcher.start()
    try:
        fake.open()
        # Noise first: other switches, keys and sync records change nothing.
        fake.send(event(EV_KEY, 30, 1), event(EV_SW, 0x05, 1), event(EV_SYN, 0, 0))
        fake.plug(True)
        until(lambda: seen[-1:] == [JackState.PLUGGED], 5, "plugged")
        # Half a record, then the rest: the reader joins them.
        record = event(EV_SW, SW_HEADPHONE_INSERT, 0)
        fake.send(record[:7])
        fake.send(record[7:])
        until(lambda: seen[-1:] == [JackState.UNPLUGGED], 5, "unplugged")
        fake.plug(False)  # the same state again: no change to tell
        fake.plug(True)
        until(lambda: seen[-1:] == [JackState.PLUGGED], 5, "plugged again")
        assert seen == [JackState.PLUGGED, JackState.UNPLUGGED, JackState.PLUGGED]
        fake.close()  # the device went away: unknown, and the watcher tries again
        until(lambda: watcher.state is JackState.UNKNOWN, 5, "unknown")
        fake.open()
        fake.plug(False)
        until(lambda: watcher.state is JackState.UNPLUGGED, 5, "back")
    finally:
        watcher.stop()
        fake.close()


def _fake_amixer(tmp_path: Path, state_file: Path) -> Path:
    script = tmp_path / "amixer"
    script.write_text(f"""#!/bin/sh
# amixer stand-in: one HDA card with a headphone jack control.
case "$*" in
  *controls*) echo "numid=1,iface=CARD,name='Front Headphone Jack'"
              echo "numid=2,iface=MIXER,name='Master Playback Volume'";;
  *cget*) echo "numid=1,iface=CARD,name='Front Headphone Jack'"
          echo "  ; type=BOOLEAN,access=r-------,values=1"
          echo "  : values=$(cat {state_file})";;
  *events*) while :; do sleep 0.05
              echo "event value: numid=1,iface=CARD,name='Front Headphone Jack'"; done;;
esac
""", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_alsa_jack_control_through_amixer(tmp_path: Path):
    state = tmp_path / "state"
    state.write_text("off")
    amixer = _fake_amixer(tmp_path, state)
    jack = AlsaJack.find("0", amixer=str(amixer))
    assert jack is not None and jack.control == "Front Headphone Jack"
    assert jack.read() is JackState.UNPLUGGED
    seen: list[JackState] = []
    watcher = JackWatcher(jack, seen.append)
    watcher.start()
    try:
        until(lambda: seen[-1:] == [JackState.UNPLUGGED], 5, "the state at start")
        state.write_text("on")
        until(lambda: seen[-1:] == [JackState.PLUGGED], 5, "plugged")
    finally:
        watcher.stop()
    assert AlsaJack.find("0", amixer=str(tmp_path / "no-amixer")) is None


def test_no_jack_signal_is_said_by_diagnostics(tmp_path: Path):
    empty = tmp_path / "input"
    empty.mkdir()
    found = find_jack_source(_settings(headphone_jack="auto"), input_dir=empty)
    assert found is None or found.kind == "alsa"  # no evdev device: only ALSA could say
    for setting, key in (("none", "diagnostics.headphones.off"),
                         ("evdev", "diagnostics.headphones.no_signal")):
        s = _settings(headphone_jack=setting)  # evdev without a device: none found
        ctx = DiagnosticsContext(s, devices=DeviceProbes(s))
        if setting == "evdev" and find_jack_source(s) is not None:
            pytest.skip("this machine has an evdev headphone switch")
        result = check_headphones(ctx)
        assert (result.status.value, result.summary_key) == ("warn", key)
        assert result.summary("en").startswith(("No headphone jack signal",
                                                "Headphone detection is switched off"))


def test_diagnostics_names_the_source_and_the_plug(tmp_path: Path):
    fake = FakeJack(tmp_path / "event-jack")
    s = _settings(headphone_jack="evdev", headphone_device=str(fake.path))
    watcher = JackWatcher(EvdevJack(fake.path), lambda _s: None)
    watcher.start()
    try:
        fake.open()
        fake.plug(True)
        until(lambda: watcher.state is JackState.PLUGGED, 5, "plugged")
        assert probe_jack(s, watcher) == {"kind": "evdev", "where": str(fake.path),
                                          "state": "plugged", "setting": "evdev"}
        result = check_headphones(DiagnosticsContext(s, devices=DeviceProbes(s),
                                                     jack=watcher))
        assert result.status.value == "ok"
        assert result.summary("en") == (f"Headphone jack detected (evdev, {fake.path}): "
                                        "plugged")
    finally:
        watcher.stop()
        fake.close()
