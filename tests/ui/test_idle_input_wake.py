"""While idle, the loop waits in SDL for input: an input event ends the wait at once and
restores the full frame rate; no event (or a non-input one) waits the idle frame out."""

from __future__ import annotations

import ctypes

import pytest

from tests.ui.test_idle import IDLE_FPS, _go_idle

SDL_KEYDOWN, SDL_WINDOWEVENT = 0x300, 0x200


def _push(sdl, kind: int) -> None:
    event = (ctypes.c_uint8 * 64)()  # an SDL_Event: its type is the first Uint32
    ctypes.c_uint32.from_buffer(event).value = kind
    assert sdl.SDL_PushEvent(ctypes.byref(event)) == 1


def test_input_ends_the_idle_wait_and_other_events_do_not(kiosk_ui):
    from kivy.clock import Clock

    gov = kiosk_ui.app.frame_rate
    sdl = gov._sdl
    if sdl is None:
        pytest.skip("no SDL library in this process (another window provider)")
    sdl.SDL_FlushEvents(0, 0xFFFF)  # the driver never polls SDL: start from an empty queue
    try:
        _go_idle(kiosk_ui)
        assert Clock.usleep == gov._wait_for_input
        gov._wait_for_input(0.2e6)             # nothing happens: still idle
        assert gov.idle
        _push(sdl, SDL_WINDOWEVENT)            # not input: still idle, the event left
        gov._wait_for_input(0.2e6)             # for Kivy's own poll
        assert gov.idle and sdl.SDL_HasEvent(SDL_WINDOWEVENT) == 1
        # Input: the wait ends (had it not, it would sleep the 30 s out and stay idle),
        # full rate again. How soon a touch is answered: kiosk bench touch.
        _push(sdl, SDL_KEYDOWN)
        gov._wait_for_input(30e6)
        assert not gov.idle and Clock._max_fps == gov.active_fps > IDLE_FPS
        assert Clock.usleep != gov._wait_for_input  # Kivy's own sleep again
    finally:
        sdl.SDL_FlushEvents(0, 0xFFFF)
        gov.idle_after = 3.0
        gov.wake()
