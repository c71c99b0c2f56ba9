"""The kiosk app in a process of its own, driven from inside by the existing
:class:`~kiosk.ui.driver.AppDriver` (real window, real touches, real parts from the
composition root, settings from the environment as ``kiosk run`` reads them).

``python -m tests.system.app_process``: a cardholder pre-loses a card while the central
service is down (queued in the outbox), then someone tries wrong technician PINs until
the lock-out. Then one JSON line on stdout (the outbox's pending idempotency keys and
the lock-out status) and the app keeps running, drawing, until it is killed.

The test acts when asked: ``{"want": "id_card"}`` (insert the card), ``{"want":
"central_down"}`` (the card lookup is done: stop the central service, then write a line
to stdin).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from kiosk.composition import build_app
from kiosk.config import load_settings
from kiosk.logs import setup_logging
from kiosk.secrets import load_secrets
from kiosk.services.diagnostics.lockout import lockout_status

WRONG_PINS = ("11111111", "22222222", "33333333")


def say(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def main() -> int:
    settings = load_settings()
    load_secrets(settings)
    setup_logging(settings.log_dir)
    app = build_app(settings, console_log=False)
    # lazy: Kivy is configured by build_app, before any Kivy import
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from kiosk.ui.driver import AppDriver, _Touch

    ui = AppDriver(app)
    ui.wait_until(lambda: app.parts is not None, 60, "the parts started")

    # 1. A pre-loss with the central service down: queued.
    ui.tap(key="attract.pre_loss")
    ui.wait_for_screen("pre_loss", 30)
    say({"want": "id_card"})
    ui.wait_for_screen("pre_loss_cards", 30)
    ui.tap(ui.find(root=app.sm.current_screen, key="journeys.cards.choose"))
    ui.wait_for_screen("pre_loss_consequences", 15)
    say({"want": "central_down"})
    sys.stdin.readline()
    ui.tap(ui.find(root=app.sm.current_screen, key="journeys.consequences.confirm"))
    ui.wait_for_screen("pre_loss_pending", 40)
    queued = [item.idempotency_key for item in app.parts.outbox.pending()]
    app.go_home()
    ui.wait_for_screen("attract", 15)

    # 2. Wrong technician PINs until the lock-out. The gesture: a press in the top-right
    # corner, held until the PIN pad opens (3 s).
    touch = _Touch(Window.width - 6, Window.height - 6)
    EventLoop.post_dispatch_input("begin", touch)
    ui.wait_for_screen("diag_pin", 15)
    EventLoop.post_dispatch_input("end", touch)
    for pin in WRONG_PINS:
        keypad = app.sm.current_screen.ids.keypad
        for digit in pin:
            ui.tap(ui.find(text=digit, root=keypad))
        ui.tap(key="diagnostics.ui.pin_enter")
    ui.wait_until(lambda: app.sm.current_screen.ids.message.key
                  == "diagnostics.ui.pin_locked", 10, "the lock-out message")
    say({"queued": queued, "lock": lockout_status(settings), "t": time.monotonic()})
    while True:  # running, as a kiosk does, until the test kills it
        ui.pump_frames(10)


if __name__ == "__main__":
    sys.exit(main())
