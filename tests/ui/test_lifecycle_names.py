"""Lifecycle names say one thing each: no method of the app shares its name with a
property of the screens (``show_home`` was both: the app's session-end drawing and a
screen's home-button flag), and the parts' life is one state, not booleans."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from kiosk.composition.parts import KioskParts, PartsState

pytestmark = pytest.mark.ui


def test_no_app_method_is_named_like_a_screen_property(kiosk_ui: Any) -> None:
    from kiosk.ui.app import KioskApp
    from kiosk.ui.screen_base import KioskScreen

    screen = kiosk_ui.app.sm.get_screen("attract")
    assert isinstance(screen, KioskScreen)
    flags = set(screen.properties())
    methods = {name for name, value in vars(KioskApp).items()
               if inspect.isfunction(value) and not name.startswith("_")}
    assert "draw_home" in methods and "show_home" in flags  # the check sees both sides
    assert methods & flags == set()


def test_the_parts_life_is_one_state() -> None:
    assert [s.value for s in PartsState] == ["built", "started", "stopped"]
    fields = KioskParts.__dataclass_fields__
    assert fields["state"].default is PartsState.BUILT
    assert not [name for name, f in fields.items() if f.type in ("bool", bool)]
