"""The agent's memory across restarts (``<data_dir>/fleet/agent.json``): which directives
it has taken (never applied twice), the outcomes still to acknowledge (none lost in an
outage), the pause in force, and directives not yet handled (a config overlay waits in the
inbox for an idle moment)."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.fleet.files import JsonObject, fleet_dir, read_json, write_json

MAX_REMEMBERED = 500  # directive ids kept; far more than a terminal gets between acks


def _objects(value: object) -> list[JsonObject]:
    """The JSON objects of a list read back (anything else: none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class AgentState:
    """Thread-safe; every change is written before the method returns."""

    def __init__(self, data_dir: Path) -> None:
        self.path = fleet_dir(data_dir) / "agent.json"
        self._lock = threading.Lock()
        raw = read_json(self.path)
        raw = raw if isinstance(raw, dict) else {}  # a torn or edited file reads as absent
        taken, order = raw.get("taken"), raw.get("order")
        # id → outcome|"taken"
        self._taken = {str(k): str(v) for k, v in taken.items()} \
            if isinstance(taken, dict) else {}
        self._order = [str(i) for i in order] if isinstance(order, list) and order \
            else list(self._taken)
        self._acks = _objects(raw.get("acks"))
        pause = raw.get("pause")
        self._pause: JsonObject | None = pause if isinstance(pause, dict) else None
        self._inbox = _objects(raw.get("inbox"))

    def _save(self) -> None:
        write_json(self.path, {"taken": self._taken, "order": self._order,
                               "acks": self._acks, "pause": self._pause,
                               "inbox": self._inbox})

    # ---- directives ---------------------------------------------------------------------

    def take(self, directives: list[JsonObject]) -> list[JsonObject]:
        """Put the directives not seen before in the inbox (persisted); answer them. For
        one seen and handled before whose ack is no longer pending, the ack is queued
        again (the centre did not get it)."""
        new = []
        with self._lock:
            pending = {a["directive_id"] for a in self._acks}
            for d in directives:
                directive_id = str(d["id"])  # a validated directive's id (text)
                outcome = self._taken.get(directive_id)
                if outcome is None:
                    self._taken[directive_id] = "taken"
                    self._order.append(directive_id)
                    self._inbox.append(d)
                    new.append(d)
                elif outcome != "taken" and directive_id not in pending:
                    reason = None
                    if ":" in outcome:
                        outcome, reason = outcome.split(":", 1)
                    self._acks.append({"directive_id": directive_id, "outcome": outcome,
                                       "reason": reason})
            while len(self._order) > MAX_REMEMBERED:
                self._taken.pop(self._order.pop(0), None)
            self._save()
        return new

    def inbox(self) -> list[JsonObject]:
        """Directives taken and not yet handled, in the order they came."""
        with self._lock:
            return list(self._inbox)

    def done(self, directive_id: str, outcome: str, reason: str | None = None) -> None:
        """A directive was handled: out of the inbox, its ack queued."""
        with self._lock:
            self._inbox = [d for d in self._inbox if d["id"] != directive_id]
            self._taken[directive_id] = outcome + (f":{reason}" if reason else "")
            self._acks.append({"directive_id": directive_id, "outcome": outcome,
                               "reason": reason})
            self._save()

    def acks(self) -> list[JsonObject]:
        """Outcomes the centre has not yet confirmed receiving."""
        with self._lock:
            return list(self._acks)

    def acked(self, sent: list[JsonObject]) -> None:
        """The centre answered a heartbeat carrying ``sent``: those are delivered."""
        ids = {a["directive_id"] for a in sent}
        with self._lock:
            self._acks = [a for a in self._acks if a["directive_id"] not in ids]
            self._save()

    # ---- pause --------------------------------------------------------

    @property
    def pause(self) -> JsonObject | None:
        """The pause directive in force (as JSON), or None."""
        with self._lock:
            return dict(self._pause) if self._pause else None

    def set_pause(self, pause: JsonObject | None) -> None:
        """Record the pause in force (None: in service)."""
        with self._lock:
            self._pause = pause
            self._save()
