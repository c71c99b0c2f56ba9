"""What must stay flat over a long soak of scripted sessions, and the verdict.

Sampled in the kiosk process every N sessions: RSS, open file descriptors, threads, the
outbox and sandbox database sizes, the Kivy widgets alive. Flat means: RSS grew at most
:data:`TARGET_RSS_GROWTH_MB` from the first sample (taken after the warm-up) to the last;
fds, threads and widgets end where they started; the databases end at most
:data:`DB_SLACK_KB` above their size at the middle of the soak (SQLite reuses freed
pages; the WAL checkpoints in steps; the sandbox keeps each request's nonce for its
replay window, twice the allowed clock skew, so its file fills for the first minutes
of a soak and then stays).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiosk.bench.figures import SoakVerdict
from kiosk.bench.footprint import smaps_rollup_kb
from kiosk.system.memory import heap_mb

TARGET_RSS_GROWTH_MB = 2.0
DB_SLACK_KB = 512
SOAK_FPS = 1000.0  # the frame cap while soaking: the bench waits on frames, not the clock
FLAT_COUNTS = ("fds", "threads", "widgets")
DB_SIZES = ("outbox_kb", "sandbox_db_kb")


def rss_mb() -> float:
    """This process's resident set, MB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_split_mb() -> dict[str, float]:
    """RSS by kind, MB: anonymous (heaps, stacks, GL buffers) and file-backed."""
    kb = smaps_rollup_kb(os.getpid())
    anon = kb.get("Anonymous", 0) / 1024
    return {"rss_anon_mb": round(anon, 1),
            "rss_file_mb": round(kb.get("Rss", 0) / 1024 - anon, 1)}


def sample(done: int, tmp: Path) -> dict[str, float]:
    """One soak sample of this (the kiosk) process after ``done`` sessions; the
    databases are the files under ``tmp`` (the bench's data dir)."""
    from kivy.uix.widget import Widget  # lazy: only after build_app configured Kivy

    def kb(paths: list[Path]) -> int:
        return sum(p.stat().st_size for p in paths if p.is_file()) // 1024

    gc.collect()
    return {"sessions": done, "rss_mb": round(rss_mb(), 1),
            "fds": len(os.listdir("/proc/self/fd")),
            "threads": len(os.listdir("/proc/self/task")),
            "outbox_kb": kb(list(tmp.glob("outbox*"))),
            "sandbox_db_kb": kb(list(tmp.glob("sandbox.db*"))),
            "widgets": sum(1 for o in gc.get_objects() if isinstance(o, Widget)),
            **rss_split_mb(), **heap_mb()}


def describe(x: Mapping[str, float]) -> str:
    """One soak sample as a line of the bench's report."""
    heap = (f"; C heap in use {x['heap_in_use_mb']:.1f} MB, free {x['heap_free_mb']:.1f} MB"
            if "heap_in_use_mb" in x else "")
    return (f"after {x['sessions']:>6} sessions: RSS {x['rss_mb']:.1f} MB (anon "
            f"{x.get('rss_anon_mb', 0):.1f}, file {x.get('rss_file_mb', 0):.1f}){heap}, fds "
            f"{x['fds']}, threads {x['threads']}, outbox {x['outbox_kb']} kB, sandbox db "
            f"{x['sandbox_db_kb']} kB, widgets {x['widgets']}")


def verdict(samples: Sequence[Mapping[str, float]]) -> SoakVerdict:
    """RSS growth first → last sample and which counts are not flat."""
    if len(samples) < 2:
        return {"rss_growth_mb": 0.0, "not_flat": [], "ok": True}
    first, middle, last = samples[0], samples[len(samples) // 2], samples[-1]
    growth = round(last["rss_mb"] - first["rss_mb"], 1)
    not_flat = [k for k in FLAT_COUNTS if last[k] != first[k]]
    not_flat += [k for k in DB_SIZES if last[k] > middle[k] + DB_SLACK_KB]
    return {"rss_growth_mb": growth, "not_flat": not_flat,
            "ok": growth <= TARGET_RSS_GROWTH_MB and not not_flat}
