"""The screens, as data. The app creates each once at start, in this order.

To add a screen: one line here (see :mod:`kiosk.ui.screens.base` for the recipe). Names
used by the attract screen's routes (:mod:`kiosk.ui.routes`): ``prelost``, ``status``,
``guide``, ``cancel_prelost``; until a screen of that name exists, the placeholder
screen stands in.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ScreenSpec:
    name: str
    target: str   # "package.module:ClassName"

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


SCREENS: list[ScreenSpec] = [
    ScreenSpec("attract", "kiosk.ui.screens.attract:AttractScreen"),
    ScreenSpec("message", "kiosk.ui.screens.message:MessageScreen"),
    ScreenSpec("placeholder", "kiosk.ui.screens.placeholder:PlaceholderScreen"),
    # Journeys (issue 6) and diagnostics (issue 7): add your screens below.
]


def register_screen(spec: ScreenSpec) -> None:
    """Add (or replace, by name) a screen before the app starts (plugins, tests)."""
    SCREENS[:] = [s for s in SCREENS if s.name != spec.name] + [spec]
