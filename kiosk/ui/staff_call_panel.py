"""The staff call (一键呼叫) as the app runs it: ``app.call_staff()`` and the panel that
shows the call's status (:class:`~kiosk.ui.access.help.HelpOverlay`, built when first
needed: never on the idle start screen). The call itself is the parts' ``staff_call``
(:class:`~kiosk.services.staff_call.StaffCall`); without one the panel says so.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from kiosk.logs import get_logger

if TYPE_CHECKING:
    from kiosk.services.staff_call import HelpStatus, StaffCall
    from kiosk.ui.access.help import HelpOverlay
    from kiosk.ui.app_protocol import UiApp

log = get_logger("kiosk.ui.app")


class StaffCallPanel:
    """``app.staff``: calls staff for the app and shows what the call's status is."""

    def __init__(self, app: UiApp) -> None:
        self.app = app
        self.built_overlay: HelpOverlay | None = None

    @property
    def overlay(self) -> HelpOverlay:
        """The staff call panel (built on first use)."""
        if self.built_overlay is None:
            from kiosk.ui.access.help import HelpOverlay  # lazy: not on the idle start screen

            self.built_overlay = HelpOverlay()
        return self.built_overlay

    def call(self) -> None:
        """Call staff to this terminal now (no personal data: the screen's name)."""
        self.app.idle.touch()
        step = str(self.app.sm.current) if self.app.sm is not None else "attract"
        call = self.current_call()
        if call is None:  # no central client at all: say so, never pretend
            # lazy: the staff call's module loads prometheus_client (the parts do it,
            # after the first frame); only this rare path needs it from here
            from kiosk.services.staff_call import HelpPhase, HelpStatus

            log.warning("staff call impossible: no central client")
            self.overlay.show_status(HelpStatus(HelpPhase.UNREACHABLE, step,
                                                dt.datetime.now(dt.UTC)))
            return
        call.call(step)

    def current_call(self) -> StaffCall | None:
        """The parts' staff call (None: the app has no parts, or they have none)."""
        parts = self.app.parts
        return parts.staff_call if parts is not None else None

    def show_status(self, status: HelpStatus) -> None:
        """The call's status changed (the staff call's subscriber)."""
        self.overlay.show_status(status)

    def hide(self) -> None:
        """Close the panel if it was ever shown (session end)."""
        if self.built_overlay is not None:
            self.built_overlay.hide()
