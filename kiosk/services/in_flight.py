"""The one background call a session may have in flight: its worker task, its name, and
a token that leaves the late outcome of a dropped call unheard; and closing the central
calls in flight, so a cancel frees the worker at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kiosk.logs import get_logger
from kiosk.services.tasks import Outcome, Task, Worker

log = get_logger("kiosk.services.controller")  # the controller's log, as before the split
T = TypeVar("T")


class CallInFlight:
    """The call in flight, if any (owner's thread only)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._task: Task | None = None
        self._name = ""
        self._token = 0

    @property
    def task(self) -> Task | None:
        """The worker task of the call in flight (None when none)."""
        return self._task

    @property
    def name(self) -> str:
        """The name of the call in flight ("" when none)."""
        return self._name if self._task is not None else ""

    def drop(self) -> int:
        """Forget the call in flight (its outcome will go unheard); the token of whatever
        runs next."""
        self._token += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None
        return self._token

    def is_current(self, token: int) -> bool:
        """True while the call started with ``token`` was not dropped."""
        return token == self._token

    def finished(self) -> None:
        """The current call answered."""
        self._task = None
        self._name = ""

    def start(self, name: str, fn: Callable[[], T],
              done: Callable[[Outcome[T]], None]) -> None:
        """Run ``fn`` on the worker as the call in flight; ``done`` gets its outcome."""
        self._name = name
        self._task = self.worker.run(name, fn, done)


def cancel_central(central: object) -> None:
    """Close the central calls in flight, so the worker is free now, not at the deadline
    (dropping the outcome alone would leave it held by a slow server)."""
    cancel = getattr(central, "cancel", None)
    if cancel is None:
        return
    try:
        cancel()
    except Exception as exc:  # a client that cannot cancel must not block the person
        log.warning("central cancel failed", extra={"fields": {
            "error": type(exc).__name__}})
