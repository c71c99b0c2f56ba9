"""CPU priorities: the UI first, background work niced.

A terminal on a small box does background work beside the screen: the outbox sender,
the fleet agent's heartbeat and bundle upload, speech synthesis, a technician's bundle
export. None of it is waited for by the person at the screen, so each of these threads
calls :func:`background_thread` first thing: on Linux a thread has its own nice value
(``setpriority(PRIO_PROCESS, tid, n)`` with the thread's native id), so the thread — and
any program it starts, e.g. espeak-ng — yields the CPU to the UI thread, Xorg and the
card reads when they compete. Lowering one's own priority needs no privilege.

Not niced, on purpose: the card watcher and card reads, and the journey workers (central
lookups) — a person is waiting for those.

The kiosk process itself starts at :data:`KIOSK_NICE` (``Nice=`` in
``deploy/systemd/kiosk.service``; ``kiosk bench journeys`` applies the same to its child
when it may, so the bench measures what a terminal runs).
"""

from __future__ import annotations

import os
import threading

from kiosk.logs import get_logger

log = get_logger("kiosk.system.priority")

KIOSK_NICE = -5          # the kiosk service (systemd Nice=): ahead of ordinary processes
BACKGROUND_STEP = 10     # background threads: this much nicer than the thread that made them
MAX_NICE = 19


def thread_nice(tid: int | None = None) -> int:
    """The nice value of thread ``tid`` (default: the calling thread)."""
    return os.getpriority(os.PRIO_PROCESS, tid or threading.get_native_id())


def background_thread(step: int = BACKGROUND_STEP) -> int | None:
    """Make the calling thread ``step`` nicer (capped at 19); call it first thing in a
    background thread's target. Returns the new nice value, or None where it could not
    be set (never raises: a background thread must run even at normal priority)."""
    tid = threading.get_native_id()
    try:
        target = min(MAX_NICE, thread_nice(tid) + max(0, step))
        os.setpriority(os.PRIO_PROCESS, tid, target)
        return target
    except (OSError, AttributeError) as exc:  # not Linux, or a sandbox forbids it
        log.info("thread priority unchanged", extra={"fields": {
            "thread": threading.current_thread().name, "error": type(exc).__name__}})
        return None


def set_process_nice(pid: int, nice: int = KIOSK_NICE) -> bool:
    """Give process ``pid`` (its main thread: threads made later inherit it) the nice
    value ``nice``; False when not allowed (a lower value needs root or CAP_SYS_NICE)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
        return True
    except OSError:
        return False
