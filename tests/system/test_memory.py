"""The C heap's freed memory goes back to the kernel (glibc ``malloc_trim``), measured
on this process's resident set."""

from __future__ import annotations

import random

from kiosk.bench.soak import rss_mb
from kiosk.system.memory import heap_mb, release_free_heap


def test_freed_heap_pages_leave_the_resident_set() -> None:
    rng = random.Random(7)
    # Blocks past Python's small-object allocator, so glibc's malloc serves them; keeping
    # one in eight leaves the freed rest scattered between live blocks (fragmentation).
    blocks = [bytes(rng.randint(1000, 4000)) for _ in range(60_000)]
    kept = blocks[::8]
    del blocks
    freed_mb = heap_mb()["heap_free_mb"]
    assert freed_mb > 80, freed_mb  # the premise: glibc holds the freed memory
    before = rss_mb()
    took = release_free_heap()
    after = rss_mb()
    assert took is not None  # how long it took is logged ("free heap released", ms)
    assert before - after > 0.5 * freed_mb, (before, after, freed_mb)
    assert len(kept) == 7500  # still alive, still readable
    assert all(len(b) >= 1000 for b in kept)
