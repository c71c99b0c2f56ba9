"""The kiosk's services stack in a process of its own, for kill -9 tests of a pre-loss.

``python -m tests.system.preloss_process confirm|deliver`` with settings from the
environment, as ``kiosk run`` reads them. The parts are the real ones from the
composition root (``build_kiosk``: the central client, the SQLite outbox on disk and its
sender thread, the journey controller), without card readers, printer, speech or fleet:
the ID card read is handed to the controller as the card hub would hand it.

``confirm``: a cardholder identified by the ``normal`` persona's ID card chooses their
card, and at a line on stdin confirms the pre-loss; the process then prints one JSON line
per state it shows and keeps running until it is killed. ``PRELOSS_HOLD=before_send``
or ``after_answer`` stops it (prints ``{"at": ...}``, then waits to be killed) just before
the first byte of the pre-loss goes out, or just after the service's answer came back and
before it is recorded: the two instants no fault of the service can reach.

``deliver``: a restarted kiosk on the same data directory; prints the outbox's counts as
one JSON line once nothing is left to deliver (or after ``PRELOSS_WAIT`` seconds).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import time
from typing import Any

from kiosk.composition.parts import build_kiosk
from kiosk.config import load_settings
from kiosk.domain.models import IdCardData
from kiosk.logs import setup_logging
from kiosk.personas import persona
from kiosk.services.states import Step
from kiosk.services.tasks import QueueDispatcher
from tests.fixtures.polling import until


def say(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def hold_forever(point: str) -> None:
    say({"at": point})
    threading.Event().wait()


def id_card() -> IdCardData:
    """The ``normal`` persona's ID card, as the ID reader reads it."""
    p = persona("normal")["id"]

    def day(text: str) -> dt.date:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))

    return IdCardData(name=p["name"], gender="male", ethnicity=p["ethnicity"],
                      birth_date=day(p["birth_date"]), address=p["address"],
                      id_number=p["id_number"], authority=p["authority"],
                      valid_from=day(p["valid_from"]), valid_to=day(p["valid_to"]))


class CardRead:
    """A card hub event (``kiosk.devices.card_hub.HubEvent``'s shape)."""

    kind, slot, error = "card_read", "id", None

    def __init__(self, data: Any) -> None:
        self.data = data


def pump(dispatch: QueueDispatcher, until: Any, timeout: float) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        dispatch.run_pending(wait=0.05)
        if until():
            return
    raise SystemExit(f"not reached in {timeout} s")


def confirm(parts: Any, dispatch: QueueDispatcher) -> None:
    ctl = parts.controller
    hold = os.environ.get("PRELOSS_HOLD", "")
    if hold == "before_send":
        send = parts.central.send_request

        def held_send(request: Any, key: str) -> Any:
            hold_forever("before_send")
            return send(request, key)  # pragma: no cover - killed first

        parts.central.send_request = held_send
    elif hold == "after_answer":
        box = parts.outbox

        def held_mark(item_id: int, reference: str | None = None) -> None:
            hold_forever("after_answer")

        box.mark_delivered = held_mark
    ctl.start("pre_loss")
    ctl.on_card_event(CardRead(id_card()))
    pump(dispatch, lambda: ctl.state.step == Step.CARDS, 30)
    ctl.pre_loss.choose_card("0")
    say({"at": "consequences", "step": ctl.state.step.value})
    sys.stdin.readline()
    ctl.pre_loss.confirm_pre_loss()
    say({"confirmed": ctl.session.idempotency_key, "step": ctl.state.step.value})
    shown = ctl.state.step
    while True:  # running, as a kiosk does, until the test kills it
        dispatch.run_pending(wait=0.05)
        if ctl.state.step != shown:
            shown = ctl.state.step
            say({"step": shown.value})


def deliver(parts: Any) -> None:
    box = parts.outbox
    try:
        until(lambda: box.stats().pending + box.stats().held == 0,
              float(os.environ.get("PRELOSS_WAIT", "30")), "the outbox emptied",
              interval=0.05)
    except AssertionError:
        pass  # what is left is reported below; the test judges it
    stats = box.stats()
    say({"pending": stats.pending, "held": stats.held,
         "delivered_total": stats.delivered_total, "rejected_total": stats.rejected_total})


def main() -> int:
    mode = sys.argv[1]
    settings = load_settings()
    setup_logging(settings.log_dir)
    dispatch = QueueDispatcher()
    parts = build_kiosk(settings, dispatch, cards=False, speech=False, scanner=False,
                        fleet=False)
    parts.start()  # the outbox sender runs, as in the kiosk
    try:
        if mode == "confirm":
            confirm(parts, dispatch)
        else:
            deliver(parts)
    finally:
        parts.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
