"""What ``kiosk-centre bench`` measures and how it reports it: each operation's latencies
and errors, the CPU of the centre's, PostgreSQL's and the load generator's processes, the
database's sizes, the fleet page's load time; the report's summary and its text form."""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import requests

from kiosk.central.sandbox.db import sql_int, sql_str
from kiosk.centre.cluster import PrivateCluster
from kiosk.centre.loadgen import percentile
from kiosk.centre.pg import PgDatabase
from kiosk.errors import CliError

HISTORY_ROWS_PER_DAY = 48
BOUNDED_TABLES = ("nonces", "rate_buckets", "terminals", "history_marks", "challenges",
                  "heartbeats", "directives", "lookup_sightings", "rate_limited")


@dataclass
class Results:
    """What the run measured."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    lag: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, seconds: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is None and seconds is not None:
                self.latencies[op].append(seconds)
            else:
                self.errors[op][error or "unknown"] += 1


class OpFigures(TypedDict):
    """One operation's figures in the report."""

    rate_per_s: float
    ok: int
    errors: int
    error_kinds: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class PageFigures(TypedDict):
    """The fleet page's first page, loaded 20 times."""

    first_page_p50_ms: float
    first_page_p95_ms: float
    bytes: int


class Summary(TypedDict):
    """The report's figures from the run's results, CPU and database sizes."""

    wall_s: float
    operations: dict[str, OpFigures]
    errors_total: int
    p99_max_ms: float
    generator_lag_p99_ms: float
    cpu_share_of_one_core: dict[str, float]
    db_bytes_start: int
    db_bytes_end: int
    bounded_tables_bytes_end: int
    db_growth_per_day_mb: float
    history_rows: int
    history_bytes_per_row: float
    history_per_1000_terminals_per_day_mb: float


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of a process and its living descendants."""
    total, todo, ticks = 0.0, [root], os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(stat[11]) + int(stat[12]) + int(stat[13]) + int(stat[14])) / ticks
            for task in Path(f"/proc/{pid}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo.extend(int(k) for k in kids)
        except (OSError, ValueError, IndexError):
            continue
    return total


def cpu(serve: subprocess.Popen[bytes], cluster: PrivateCluster | None) -> dict[str, float]:
    """CPU seconds so far: the centre's workers, PostgreSQL, this process."""
    times = os.times()
    pg = tree_cpu(cluster.pid() or 0) if cluster is not None else 0.0
    return {"centre": tree_cpu(serve.pid), "postgres": pg,
            "load_generator": times.user + times.system}


def tables(db: PgDatabase) -> dict[str, int]:
    """Each table's bytes (indexes and TOAST included)."""
    return {sql_str(r["name"]): sql_int(r["bytes"]) for r in db.all(
        "SELECT relname AS name, pg_total_relation_size(oid) AS bytes FROM pg_class "
        "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")}


def db_sizes(db: PgDatabase) -> dict[str, int]:
    """The database's bytes, its bounded tables', the heartbeat history's and its rows."""
    # Bounded tables stop growing once every terminal is in them or their window
    # (nonces: twice the clock skew) is full; the rest grows for ever (until pruned).
    bounded = " + ".join(f"pg_total_relation_size('{t}')" for t in BOUNDED_TABLES)
    row = db.one("SELECT pg_database_size(current_database()) AS db, "
                 f"{bounded} AS bounded, "
                 "pg_total_relation_size('heartbeat_history') AS history, "
                 "(SELECT COUNT(*) FROM heartbeat_history) AS history_rows")
    assert row is not None
    return {k: sql_int(v) for k, v in dict(row).items()}


def page_figures(admin: str, token: str) -> PageFigures:
    """The fleet page's first page, loaded 20 times."""
    took = []
    for _ in range(20):
        started = time.perf_counter()
        resp = requests.get(f"{admin}/admin/fleet?token={token}", timeout=30)
        took.append(time.perf_counter() - started)
        if resp.status_code != 200:
            raise CliError(f"the fleet page answered {resp.status_code}")
    return {"first_page_p50_ms": round(percentile(took, 0.5) * 1000, 1),
            "first_page_p95_ms": round(percentile(took, 0.95) * 1000, 1),
            "bytes": len(resp.content)}


def summarise(results: Results, names: Sequence[str], wall: float, cpu0: dict[str, float],
              cpu1: dict[str, float], size0: dict[str, int], size1: dict[str, int]
              ) -> Summary:
    """The report's figures for the operations ``names``."""
    ops: dict[str, OpFigures] = {}
    errors_total, p99s = 0, []
    for op in names:
        lat = results.latencies.get(op, [])
        errors = dict(results.errors.get(op, {}))
        errors_total += sum(errors.values())
        p99s.append(round(percentile(lat, 0.99) * 1000, 1))
        ops[op] = {"rate_per_s": round((len(lat) + sum(errors.values())) / wall, 2),
                   "ok": len(lat), "errors": sum(errors.values()),
                   "error_kinds": errors,
                   "p50_ms": round(percentile(lat, 0.50) * 1000, 1),
                   "p95_ms": round(percentile(lat, 0.95) * 1000, 1),
                   "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
                   "max_ms": round(max(lat, default=0.0) * 1000, 1)}
    grew = (size1["db"] - size1["bounded"]) - (size0["db"] - size0["bounded"])
    rows = size1["history_rows"] - size0["history_rows"]
    per_row = (size1["history"] - size0["history"]) / max(1, rows)
    day = 86_400 / wall
    return {
        "wall_s": round(wall, 1), "operations": ops,
        "errors_total": errors_total,
        "p99_max_ms": max(p99s),
        "generator_lag_p99_ms": round(percentile(results.lag, 0.99) * 1000, 1),
        "cpu_share_of_one_core": {k: round((cpu1[k] - cpu0[k]) / wall, 3)
                                  for k in cpu0},
        "db_bytes_start": size0["db"], "db_bytes_end": size1["db"],
        "bounded_tables_bytes_end": size1["bounded"],
        "db_growth_per_day_mb": round(grew * day / 1e6, 1),
        "history_rows": rows,
        "history_bytes_per_row": round(per_row, 1),
        # A row an hour while nothing changes, and one per change: 48 rows a terminal
        # a day if each changes state once an hour (a short run cannot see that).
        "history_per_1000_terminals_per_day_mb": round(
            per_row * HISTORY_ROWS_PER_DAY * 1000 / 1e6, 1),
    }


def print_text(args: argparse.Namespace, summary: Summary, page: PageFigures,
               load_average: float) -> None:
    """The report for a person (without ``--json``)."""
    print(f"{args.terminals} terminals, {args.workers} workers, {summary['wall_s']} s, "
          f"calls {args.rate}/s; load average {load_average}")
    for op, o in summary["operations"].items():
        print(f"  {op:12} {o['rate_per_s']:8.2f}/s  p50 {o['p50_ms']:6.1f}  "
              f"p95 {o['p95_ms']:6.1f}  p99 {o['p99_ms']:6.1f} ms  errors {o['errors']}")
    shares = summary["cpu_share_of_one_core"]
    print(f"  CPU (share of one core): centre {shares['centre']}, PostgreSQL "
          f"{shares['postgres']}, load generator {shares['load_generator']}")
    print(f"  database +{summary['db_growth_per_day_mb']} MB/day; heartbeat history "
          f"{summary['history_per_1000_terminals_per_day_mb']} MB per 1,000 terminals a day")
    print(f"  fleet page, first page: p50 {page['first_page_p50_ms']} ms, "
          f"p95 {page['first_page_p95_ms']} ms")
