"""The running kiosk's crash guard: an unexpected UI error ends the session, not the program."""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock

from kiosk.logs import error_fields, get_logger

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp

log = get_logger("kiosk.ui.app")


class RecoverToErrorScreen(ExceptionHandler):
    """In the running kiosk (``App.run()``'s loop), an unexpected error in a touch handler
    or clock callback must not end the program: log it (type and scrubbed message only),
    end the session and show the plain-words error screen. Errors in a burst (a broken
    loop) still end the program, so a supervisor can restart it."""

    MAX_ERRORS, WINDOW_S = 5, 10.0

    def __init__(self, app: UiApp) -> None:
        self.app = app
        self.recent: deque[float] = deque(maxlen=self.MAX_ERRORS)

    def handle_exception(self, inst: BaseException) -> int:
        if isinstance(inst, (KeyboardInterrupt, SystemExit)):
            return ExceptionManager.RAISE
        now = time.monotonic()
        self.recent.append(now)
        # Type and location only: the message may quote a name from the card.
        log.error("unexpected error in the UI", extra={"fields": error_fields(inst)})
        if len(self.recent) == self.MAX_ERRORS and now - self.recent[0] < self.WINDOW_S:
            log.error("too many UI errors in a row: stopping")
            return ExceptionManager.RAISE
        Clock.schedule_once(lambda _dt: self.app.recover(), 0)
        return ExceptionManager.PASS
