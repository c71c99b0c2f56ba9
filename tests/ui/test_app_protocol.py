"""The app the UI's modules are handed (typed :class:`kiosk.ui.app_protocol.UiApp`, to
avoid an import cycle) has every member that Protocol names, and so do the helpers it
exposes. mypy cannot check this: Kivy's ``App`` has no types, so to mypy ``KioskApp``
derives from ``Any`` and matches any Protocol. The test checks the running app instead,
without calling a property (``app.technician`` raises before the first frame)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from kiosk.ui.app_protocol import IdleView, JourneysView, NavigatorView, TechnicianView, UiApp

pytestmark = pytest.mark.ui


def members(protocol: type) -> set[str]:
    """The names a Protocol declares: its attributes, properties and methods."""
    names = set(protocol.__dict__.get("__annotations__", {}))
    names |= {name for name, value in vars(protocol).items() if not name.startswith("_")
              and (inspect.isfunction(value) or isinstance(value, property))}
    return names


def missing(obj: object, protocol: type) -> list[str]:
    out = []
    for name in sorted(members(protocol)):
        try:
            inspect.getattr_static(obj, name)
        except AttributeError:
            out.append(name)
    return out


def test_the_member_list_sees_each_kind() -> None:
    names = members(UiApp)
    assert {"settings", "sm", "theme", "technician", "go", "bind", "tr"} <= names
    assert members(IdleView) == {"overlay_open", "touch"}


def test_the_running_app_has_every_member_the_ui_uses(kiosk_ui: Any) -> None:
    app = kiosk_ui.app
    assert missing(app, UiApp) == []
    assert missing(app.idle, IdleView) == []
    assert missing(app.nav, NavigatorView) == []
    assert missing(app.technician, TechnicianView) == []
    assert app.journeys is not None
    assert missing(app.journeys, JourneysView) == []


def test_a_missing_member_is_seen() -> None:
    class Partial:
        def touch(self) -> None:
            """Activity."""

    assert missing(Partial(), IdleView) == ["overlay_open"]
