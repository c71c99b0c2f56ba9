"""The two virtual card slots (SSC in vpcd reader "00 00", ID in "00 01") and a small
control server on a Unix socket, so ``kiosk card insert PERSONA`` / ``kiosk card
remove`` drive them from another terminal during the demo.

``start_virtual_slots(settings, vpcd_port)`` returns a running :class:`VirtualSlots`
(in-process; also serving ``<data_dir>/virtual-cards.sock``). Cards are kept per persona
for the life of the process, so PIN tries used up stay used up, as on a real card.

Wire protocol: one JSON object per line each way, e.g.
``{"cmd": "insert", "persona": "normal", "slot": "ssc"}`` →
``{"ok": true, "slots": {"ssc": "normal", "id": null}}``; errors are
``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.config import Settings
from kiosk.devices.virtual.control import ControlServer, Message, send_control
from kiosk.devices.virtual.id_card import VirtualIdCard
from kiosk.devices.virtual.ssc_card import VirtualSscCard
from kiosk.devices.virtual.technician_card import VirtualTechnicianCard
from kiosk.devices.virtual.vpcd import VirtualCard, VpcdSlot
from kiosk.logs import get_logger
from kiosk.personas import persona as load_persona

log = get_logger("kiosk.devices.virtual.slots")

SOCKET_NAME = "virtual-cards.sock"
SLOT_NAMES = ("ssc", "id")


def control_socket_path(settings: Settings) -> Path:
    return settings.data_dir / SOCKET_NAME


def default_slot(persona_key: str) -> str:
    """"ssc" when the persona has a social security card, else "id"."""
    p = load_persona(persona_key)
    return "ssc" if "ssc" in p or "id" not in p else "id"


class VirtualSlots:
    """Two vpcd slots with virtual cards; optionally serving a control socket."""

    def __init__(self, vpcd_port: int, host: str = "127.0.0.1",
                 netns: Callable[[], str | None] | None = None) -> None:
        self.vpcd_port = vpcd_port
        self.slots = {"ssc": VpcdSlot(vpcd_port, host, "ssc", netns),
                      "id": VpcdSlot(vpcd_port + 1, host, "id", netns)}
        self._cards: dict[tuple[str, str], VirtualCard] = {}
        self._in_slot: dict[str, str | None] = {"ssc": None, "id": None}
        self._lock = threading.Lock()
        self._control = ControlServer(self.handle, "virtual card slots")

    # -- slot control ------------------------------------------------------------------
    def card(self, persona_key: str, slot: str) -> VirtualCard:
        """The (persistent) virtual card of a persona for a slot."""
        key = (persona_key, slot)
        if key not in self._cards:
            if "technician_card" in load_persona(persona_key):  # fits either slot
                self._cards[key] = VirtualTechnicianCard.from_persona(persona_key)
            else:
                self._cards[key] = (VirtualSscCard.from_persona(persona_key) if slot == "ssc"
                                    else VirtualIdCard.from_persona(persona_key))
        return self._cards[key]

    def insert(self, persona_key: str, slot: str | None = None) -> VirtualCard:
        """Insert a persona's card (raises KeyError for an unknown persona/card,
        ValueError for an unknown slot)."""
        slot = slot or default_slot(persona_key)
        if slot not in SLOT_NAMES:
            raise ValueError(f"unknown slot {slot!r}; use ssc or id")
        with self._lock:
            card = self.card(persona_key, slot)
            card.reset()
            self.slots[slot].insert(card)
            self._in_slot[slot] = persona_key
        log.info("virtual card inserted", extra={"fields": {"slot": slot}})
        return card

    def remove(self, slot: str | None = None) -> None:
        """Remove the card from ``slot`` (both slots when None)."""
        names = SLOT_NAMES if slot is None else (slot,)
        for name in names:
            if name not in SLOT_NAMES:
                raise ValueError(f"unknown slot {name!r}; use ssc or id")
            with self._lock:
                self.slots[name].remove()
                self._in_slot[name] = None

    def status(self) -> dict[str, str | None]:
        with self._lock:
            # A card that pulled itself out is no longer in its slot.
            for name, vslot in self.slots.items():
                if vslot.card is None:
                    self._in_slot[name] = None
            return dict(self._in_slot)

    # -- control socket ----------------------------------------------------------------
    def serve(self, path: Path) -> None:
        """Serve the JSON-lines control protocol on a Unix socket at ``path`` (0600);
        RuntimeError if another process serves it already."""
        self._control.serve(path, exclusive=True)

    @property
    def socket_path(self) -> Path | None:
        return self._control.socket_path

    def handle(self, req: Message) -> Message:
        """One control request → reply (also used directly by tests)."""
        cmd = req.get("cmd")
        try:
            if cmd == "insert":
                self.insert(str(req.get("persona", "")), _slot(req))
            elif cmd == "remove":
                self.remove(_slot(req))
            elif cmd != "status":
                return {"ok": False, "error": f"unknown command {cmd!r}"}
        except (KeyError, ValueError) as exc:
            return {"ok": False, "error": str(exc).strip("'\"")}
        return {"ok": True, "slots": dict(self.status()), "vpcd_port": self.vpcd_port}

    def stop(self) -> None:
        self._control.stop()
        for vslot in self.slots.values():
            vslot.remove()


def start_virtual_slots(settings: Settings, vpcd_port: int,
                        socket_path: Path | None = None,
                        netns: Callable[[], str | None] | None = None) -> VirtualSlots:
    """Virtual slots on ``vpcd_port``/``+1``, controllable at ``<data_dir>/virtual-cards.sock``
    (or ``socket_path``). Call ``.stop()`` when done."""
    slots = VirtualSlots(vpcd_port, netns=netns)
    slots.serve(socket_path or control_socket_path(settings))
    return slots


def _slot(req: Message) -> str | None:
    """The request's slot name; None (no slot given) means the persona's or both."""
    slot = req.get("slot")
    return None if slot is None else str(slot)


def send_command(path: Path, request: Message, timeout: float = 5.0) -> Message:
    """Client side of the control socket (``kiosk card``). Raises OSError if no daemon."""
    return send_control(path, request, timeout)
