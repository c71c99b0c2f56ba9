"""Counts since the last heartbeat the centre answered, read from the kiosk's own
Prometheus counters (:mod:`kiosk.metrics`): journeys started (``kiosk_journeys_total``
with outcome ``started``) and finished (any other outcome) per journey, failures per
kind (``kiosk_errors_total``). The baseline moves only when a heartbeat is answered, so
counts made during an outage arrive with the first heartbeat after it."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from kiosk import metrics
from kiosk.central.schemas_fleet import CODE_PATTERN, MAX_COUNT_KEYS, Counts

_CODE = re.compile(CODE_PATTERN)
Snapshot = dict[tuple[str, str], float]  # (family, key) → total


def read_counters() -> Snapshot:
    """The current totals: ``("started"|"finished"|"failures", code)``."""
    out: dict[tuple[str, str], float] = {}
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            if sample.name == "kiosk_journeys_total":
                which = "started" if sample.labels.get("outcome") == "started" else "finished"
                key = (which, sample.labels.get("journey", ""))
                out[key] = out.get(key, 0) + sample.value
            elif sample.name == "kiosk_errors_total":
                key = ("failures", sample.labels.get("kind", ""))
                out[key] = out.get(key, 0) + sample.value
    return out


def _code(key: str) -> str:
    # Labels are already squeezed by kiosk.metrics; a label with digits (or anything the
    # contract's code shape refuses) is counted as "other", never sent as it is.
    return key if _CODE.fullmatch(key) else "other"


class CountTracker:
    """Deltas of :func:`read_counters` since the last :meth:`commit`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 read: Callable[[], Snapshot] = read_counters) -> None:
        self._clock, self._read = clock, read
        self._base = read()
        self._since = clock()

    def pending(self) -> tuple[Counts, Snapshot, float]:
        """The counts to send now, and the snapshot and time to :meth:`commit` once the
        centre has them."""
        now, snap = self._clock(), self._read()
        families: dict[str, Counter[str]] = {"started": Counter(), "finished": Counter(),
                                             "failures": Counter()}
        for (family, key), total in snap.items():
            delta = int(total - self._base.get((family, key), 0.0))
            if delta > 0:
                families[family][_code(key)] += delta

        def top(c: Counter[str]) -> dict[str, int]:
            return dict(c.most_common(MAX_COUNT_KEYS))

        counts = Counts(period_seconds=round(max(0.0, now - self._since), 3),
                        sessions_started=top(families["started"]),
                        sessions_finished=top(families["finished"]),
                        failures=top(families["failures"]))
        return counts, snap, now

    def commit(self, snap: Snapshot, at: float) -> None:
        """The centre has the counts up to ``snap`` (taken at ``at``): start from there."""
        self._base, self._since = snap, at
