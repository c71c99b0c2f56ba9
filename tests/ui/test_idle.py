"""Idle near zero: the real app's loop drops to a few wake-ups a second when still,
comes back to the full rate on a touch or a screen change, and its timers (Clock
intervals such as the watchdog ping, the inactivity timeout) keep firing while idle."""

from __future__ import annotations

import time

# Kivy's modules are imported inside the tests: the window must be configured first
# (the kiosk_ui fixture does that).
IDLE_FPS = 4.0  # kiosk.ui.idle.IDLE_FPS (checked below)


def _go_idle(ui) -> None:
    from kivy.clock import Clock

    from kiosk.ui import idle

    assert idle.IDLE_FPS == IDLE_FPS
    gov = ui.app.frame_rate
    gov.idle_after = 0.2
    gov.wake()
    ui.wait_until(lambda: gov.idle, timeout=5, what="idle")
    assert Clock._max_fps == IDLE_FPS < gov.active_fps


def test_still_kiosk_goes_idle_and_a_touch_restores_the_frame_rate(kiosk_ui):
    from kivy.clock import Clock

    ui = kiosk_ui
    gov = ui.app.frame_rate
    try:
        _go_idle(ui)
        # Idle: the Clock is held to IDLE_FPS and sleeps on input (the frames it then
        # draws and the CPU it saves are kiosk bench startup's and touch's figures).
        ui.pump_frames(5)
        assert gov.idle and Clock._max_fps == IDLE_FPS
        assert Clock.usleep == gov._wait_for_input
        ui.tap_at(10, 10)
        assert not gov.idle and Clock._max_fps == gov.active_fps
        ui.pump_frames(5)
        assert Clock.usleep != gov._wait_for_input
    finally:
        gov.idle_after = 3.0
        gov.wake()


def test_a_screen_change_wakes_the_loop(kiosk_ui):
    from kivy.clock import Clock

    ui = kiosk_ui
    gov = ui.app.frame_rate
    try:
        _go_idle(ui)
        ui.app.go("placeholder", title_key="attract.pre_loss")
        assert not gov.idle and Clock._max_fps == gov.active_fps
    finally:
        gov.idle_after = 3.0
        gov.wake()


def test_timers_fire_while_idle(kiosk_ui):
    from kivy.clock import Clock

    ui = kiosk_ui
    gov = ui.app.frame_rate
    fired: list[float] = []
    ev = Clock.schedule_interval(lambda _dt: fired.append(time.monotonic()), 0.3)
    try:
        _go_idle(ui)
        start = time.monotonic()
        ui.wait_until(lambda: len([t for t in fired if t > start]) >= 3, timeout=5,
                      what="interval ticks while idle")
        ticks = [t for t in fired if t > start]
        # Late by at most about one idle frame each.
        assert all(b - a < 0.3 + 2 / IDLE_FPS for a, b in zip(ticks, ticks[1:], strict=False))
        assert gov.idle  # the timer itself is no input: still idle
    finally:
        ev.cancel()
        gov.idle_after = 3.0
        gov.wake()


def test_watchdog_pings_keep_coming_while_idle(kiosk_ui, tmp_path):
    import socket

    from kivy.clock import Clock

    from kiosk.system.notify import Notifier

    ui = kiosk_ui
    gov = ui.app.frame_rate
    addr = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(addr))
    sock.setblocking(False)
    notifier = Notifier({"NOTIFY_SOCKET": str(addr), "WATCHDOG_USEC": "800000"})
    assert notifier.watchdog_seconds == 0.4
    ev = Clock.schedule_interval(lambda _dt: notifier.send("WATCHDOG=1"), 0.4)
    try:
        _go_idle(ui)
        got = []

        def pinged() -> bool:
            try:
                got.append(sock.recv(100))
            except BlockingIOError:
                pass
            return len(got) >= 2

        ui.wait_until(pinged, timeout=5, what="watchdog pings while idle")
        assert all(g == b"WATCHDOG=1" for g in got) and gov.idle
    finally:
        ev.cancel()
        sock.close()
        gov.idle_after = 3.0
        gov.wake()
