"""Screen navigation for the app: ``go``, ``back``, routes and the message screen.

The app exposes these as ``app.go``, ``app.back``, ``app.has_screen``,
``app.current_screen_widget``, ``app.start_route`` and ``app.show_message`` (kv files
and screens call them there); going home ends the session, which stays the app's.
"""

from __future__ import annotations

from typing import Any

from kiosk.ui.routes import ROUTES

ATTRACT = "attract"


class Navigator:
    """Shows screens of ``app.sm`` and remembers where ``back`` leads."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.history: list[str] = []

    def current_screen_widget(self) -> Any:
        """The screen on show (None before the UI is built)."""
        sm = self.app.sm
        return sm.current_screen if sm else None

    def has_screen(self, name: str) -> bool:
        """Whether a screen called ``name`` is registered."""
        sm = self.app.sm
        return bool(sm and sm.has_screen(name))

    def go(self, name: str, **params: Any) -> None:
        """Show screen ``name`` after calling its ``prepare(**params)``."""
        sm = self.app.sm
        assert sm is not None
        screen = sm.get_screen(name)
        screen.prepare(**params)
        if sm.current != name:
            self.history.append(sm.current)
            sm.current = name

    def back(self) -> None:
        """The screen's ``handle_back()``, else its ``back_to``, else the previous screen,
        else home."""
        sm = self.app.sm
        assert sm is not None
        handler = getattr(sm.current_screen, "handle_back", None)
        if callable(handler) and handler():
            return
        target = getattr(sm.current_screen, "back_to", "")
        if target:
            self.go(target)
            return
        while self.history:
            prev = self.history.pop()
            if prev == ATTRACT:
                self.app.go_home()
                return
            if prev != sm.current:
                sm.current = prev
                return
        self.app.go_home()

    def start_route(self, route_id: str) -> None:
        """Open a journey from the attract screen (placeholder until its screen exists)."""
        route = next(r for r in ROUTES if r.id == route_id)
        if self.has_screen(route.screen):
            self.go(route.screen)
        else:
            self.go("placeholder", title_key=route.label_key)

    def show_message(self, spec: Any) -> None:
        """Show a :class:`~kiosk.ui.screens.message.MessageSpec` on the message screen."""
        self.go("message", spec=spec)
