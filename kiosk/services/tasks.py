"""Blocking calls on worker threads, results back on the owner's thread, with a cancel.

The controller never blocks: each central or card call is submitted here and returns a
:class:`Task` at once. When the call ends, ``on_done(Outcome)`` is handed to the
dispatcher (Kivy: ``Clock.schedule_once``; tests and the bench: :class:`QueueDispatcher`).
Cancelling cannot interrupt a socket read, so it marks the task: its outcome is dropped
and the journey moves on immediately (the UI is never held by a slow service).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from kiosk.logs import get_logger

log = get_logger("kiosk.services.tasks")
T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """A call that returned ``value``."""

    value: T
    error: None = None

    @property
    def ok(self) -> Literal[True]:
        return True


@dataclass(frozen=True)
class Raised:
    """A call that raised ``error``."""

    error: BaseException
    value: None = None

    @property
    def ok(self) -> Literal[False]:
        return False


Outcome = Done[T] | Raised
"""The result of one call: a value, or the exception it raised (never both)."""


class Task:
    """Handle of a submitted call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._cancelled = threading.Event()
        self._done = threading.Event()

    def cancel(self) -> None:
        """Drop the outcome when it arrives; the call itself runs to its own timeout."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the call ended (tests and the bench only)."""
        return self._done.wait(timeout)


class Worker:
    """A small thread pool for device and network calls."""

    def __init__(self, dispatch: Callable[[Callable[[], None]], None],
                 max_workers: int = 4, *, name: str = "journey-worker",
                 initializer: Callable[[], object] | None = None) -> None:
        self._dispatch = dispatch
        # ``initializer`` runs once in each of its threads (the technician's: the UI
        # first, kiosk/system/priority.py).
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name,
                                        initializer=initializer)

    def run(self, name: str, fn: Callable[[], T],
            on_done: Callable[[Outcome[T]], None]) -> Task:
        """Call ``fn()`` on a worker; deliver its :class:`Outcome` unless cancelled."""
        task = Task(name)

        def job() -> None:
            outcome: Outcome[T]
            try:
                outcome = Done(fn())
            except Exception as exc:  # turned into a result before the thread hop
                outcome = Raised(exc)
                log.info("call failed", extra={"fields": {
                    "call": name, "error": type(exc).__name__}})
            task._done.set()
            if not task.cancelled:
                self._dispatch(lambda: None if task.cancelled else on_done(outcome))

        self._pool.submit(job)
        return task

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class QueueDispatcher:
    """A dispatcher for headless use: callbacks queue up until :meth:`run_pending`."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()

    def __call__(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def run_pending(self, wait: float = 0.0) -> int:
        """Run queued callbacks; wait up to ``wait`` seconds for the first. Returns count."""
        count = 0
        try:
            fn = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        except queue.Empty:
            return 0
        while True:
            fn()
            count += 1
            try:
                fn = self._queue.get_nowait()
            except queue.Empty:
                return count
