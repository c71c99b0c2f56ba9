"""A production-mode :class:`~kiosk.devices.card_hub.CardHub` in a process of its own.

libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process, and the test process already
talks to the session's private pcscd; a hub on another PC/SC socket (the socket
activator's) needs its own process. Run as ``python -m tests.system.hub_process``: each
hub event is one JSON line on stdout (kind, slot, and the last 3 characters of the card
number read, nothing else of the card); it stops when stdin closes.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time

from kiosk.config import load_settings
from kiosk.devices.card_hub import CardHub, HubEvent

_out = threading.Lock()


def emit(event: HubEvent) -> None:
    number = getattr(event.data, "card_number", "") or ""
    line = {"kind": str(event.kind.value), "slot": event.slot, "t": time.monotonic(),
            "card_tail": number[-3:],
            "error": getattr(getattr(event.error, "kind", None), "value", "")}
    with _out:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


def main() -> int:
    base = load_settings(environ={})  # the shipped config: production (demo = false)
    assert not base.kiosk.demo
    settings = dataclasses.replace(
        base, cards=dataclasses.replace(base.cards, id_reader="pcsc", ssc_reader="",
                                        id_pcsc_reader=""))
    hub = CardHub(settings, emit)
    hub.start()
    sys.stdin.read()  # until the test closes our stdin
    hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
