"""``kiosk-centre bench``: the centre under a province's load, measured.

Without ``--db`` it starts its own private PostgreSQL (fsync and synchronous commit on,
as in production), migrates it, makes a master key, enrols ``--terminals`` terminals and
seeds the simulated core with as many people (each with a card and an e-SSC), then runs
``kiosk-centre serve --workers W`` and drives it for ``--duration`` seconds from this
process (on the same cores — the figures include the load generator's cost):

- every terminal sends a real signed fleet heartbeat every ``--heartbeat-seconds``
  (60 s), phases spread evenly, with realistic parts, counts and acks;
- cardholder calls arrive at ``--rate`` per second (50, Poisson): lookups by ID number
  40 %, card status 30 %, e-SSC verify 15 %, pre-loss 15 % (each with its own
  idempotency key; a refusal of an already pre-lost card is a correct answer).

It reports, per operation: the rate achieved, p50/p95/p99 latency (from the request
leaving to the whole answer read, signature checked), errors (5xx, 401, 429, connection
failures, unsigned answers); the CPU used by the centre's processes, by PostgreSQL and
by the load generator (share of one core); the database's growth over the run,
extrapolated to a day (tables that stop growing — nonces, buckets, the register — left
out), the heartbeat history's bytes per row and its cost per 1,000 terminals per day at
48 rows a terminal a day (one an hour and one per change, a change an hour); and the
fleet page's first page at N terminals (p50/p95 of 20 loads).
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import os
import queue
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from pydantic import JsonValue

from kiosk.central import schemas as s
from kiosk.central import schemas_essc as e
from kiosk.central.sandbox.core import ESSC_CODE_PREFIX, sha256_hex
from kiosk.central.sandbox.db import sql_int, sql_str
from kiosk.central.schemas_fleet import FleetPath
from kiosk.centre.cluster import PrivateCluster, free_port, start_cluster
from kiosk.centre.keys import create_master_key, load_master_key
from kiosk.centre.loadgen import Reply, SignedHttp, Terminal, heartbeat_body, percentile
from kiosk.centre.migrate import migrate
from kiosk.centre.operators import Operators
from kiosk.centre.pg import PgDatabase
from kiosk.centre.terminals import Terminals
from kiosk.domain.idnumber import check_char
from kiosk.errors import CliError
from kiosk.personas import card_chip_id

SENDERS = 16  # enough for ~220 requests a second of ~10 ms; more threads only fight over the GIL
HISTORY_ROWS_PER_DAY = 48
HISTORY_ROWS_PER_DAY = 48
MIX = (("lookup", 0.40), ("card_status", 0.30), ("essc_verify", 0.15), ("pre_loss", 0.15))
BOUNDED_TABLES = ("nonces", "rate_buckets", "terminals", "history_marks", "challenges",
                  "heartbeats", "directives", "lookup_sightings")
BENCH_ID_VALID = ("2016-03-01", "2036-03-01")  # every synthetic ID card's validity
BENCH_AUTHORITY = "测试市公安局"
BENCH_LIMITS_NOTE = "production limits (per terminal 20/s, per ID number 0.2/s)"


@dataclass
class Person:
    """A synthetic cardholder of the simulated core."""

    id_number: str
    card_number: str
    person_ref: str

    @property
    def id_card(self) -> s.IdCardFacts:
        """What the person's ID card's chip says (the seed's facts)."""
        return s.IdCardFacts(id_number=self.id_number,
                             valid_from=dt.date.fromisoformat(BENCH_ID_VALID[0]),
                             valid_to=dt.date.fromisoformat(BENCH_ID_VALID[1]),
                             authority=BENCH_AUTHORITY)

    @property
    def chip(self) -> s.SscChipFacts:
        """What the person's social security card's chip says."""
        return s.SscChipFacts(card_number=self.card_number,
                              chip_id=card_chip_id(self.card_number, self.id_number[:6]))


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


def _tree_cpu(root: int) -> float:
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


def seed_people(db: PgDatabase, n: int) -> list[Person]:
    """``n`` synthetic people in the simulated core, each with an active card and an
    active e-SSC identity (bench data: a province's core holds millions)."""
    people, persons, cards, history, idents = [], [], [], [], []
    for i in range(n):
        first17 = f"99{i % 10000:04d}19{60 + i % 40:02d}0{1 + i % 9}1{i % 10}{i % 1000:03d}"
        first17 = first17[:17]
        id_number = first17 + check_char(first17)
        card = f"B{i:08d}"
        ref = "P" + secrets.token_hex(8)
        people.append(Person(id_number, card, ref))
        persons.append((ref, None, id_number, "测试" + str(i), f"139{i:08d}"[:11], None,
                        *BENCH_ID_VALID, BENCH_AUTHORITY))
        cards.append((card, ref, "active", 1, "2021-03-01",
                       card_chip_id(card, id_number[:6])))
        history.append((card, "active", "2021-03-01T01:00:00+00:00", "counter"))
        idents.append((ref, "active"))
    with db.tx():
        db.run_many("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    persons)
        db.run_many("INSERT INTO cards VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING", cards)
        db.run_many("INSERT INTO card_history (card_number, state, at, channel) VALUES "
                    "(?,?,?,?)", history)
        db.run_many("INSERT INTO essc_identities VALUES (?,?) ON CONFLICT DO NOTHING",
                    idents)
    return people


def issue_essc_codes(db: PgDatabase, people: list[Person], n: int,
                     rng: random.Random) -> list[str]:
    """``n`` one-time e-SSC codes issued at the (simulated) platform before the run; they
    live an hour here, not 60 s, as the bench hands them out over its whole run."""
    expires = time.time() + 3600
    codes = [ESSC_CODE_PREFIX + secrets.token_urlsafe(30) for _ in range(n)]
    db.run_many("INSERT INTO essc_codes VALUES (?,?,?,?,?)",
                [(sha256_hex(c), rng.choice(people).person_ref, expires, None, None)
                 for c in codes])
    return codes


class Bench:
    """One run (see the module doc)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(2026)
        self.results = Results()
        self.stop = threading.Event()
        # (when due, "heartbeat" | "call" | "stop", the terminal or the call's operation)
        self.jobs: queue.Queue[tuple[float, str, Terminal | str | None]] = queue.Queue()
        self.acks: dict[str, list[dict[str, JsonValue]]] = defaultdict(list)

    # ---- the pieces ---------------------------------------------------------------------

    def _send(self, client: SignedHttp, op: str, t: Terminal, path: str, body: bytes,
              key: str | None = None) -> Reply | None:
        try:
            reply = client.post(t, path, body, idempotency_key=key)
        except Exception as exc:  # noqa: BLE001 - counted, the run goes on
            self.results.record(op, None, f"connection:{type(exc).__name__}")
            return None
        ok = reply.status < 400 or (op == "pre_loss" and reply.status == 409)
        if not reply.authentic:
            self.results.record(op, None, "unsigned")
        elif not ok:
            code: JsonValue = ""
            try:
                code = reply.json_object().get("code", "")
            except ValueError:
                pass
            self.results.record(op, None, f"{reply.status}:{code}")
        else:
            self.results.record(op, reply.seconds)
            return reply
        return None

    def _cardholder(self, client: SignedHttp, op: str) -> None:
        t = self.rng.choice(self.terminals)
        person = self.rng.choice(self.people)
        if op == "lookup":
            body = s.LookupRequest(id_card=person.id_card).model_dump_json(exclude_none=True)
            self._send(client, op, t, s.Path.LOOKUP, body.encode())
        elif op == "card_status":
            body = s.CardStatusRequest(card=person.chip).model_dump_json(exclude_none=True)
            self._send(client, op, t, s.Path.CARD_STATUS, body.encode())
        elif op == "essc_verify":
            with self.results.lock:
                code = self.codes.pop() if self.codes else None
            if code is None:
                self.results.record(op, None, "bench:no_codes_left")
                return
            body = e.EsscVerifyRequest(code=code).model_dump_json()
            self._send(client, op, t, e.EsscPath.VERIFY, body.encode())
        else:
            # As a terminal does it: the lookup by the ID card answers the card's handle,
            # the pre-loss takes it (the lookup is counted as one).
            body = s.LookupRequest(id_card=person.id_card).model_dump_json(exclude_none=True)
            found = self._send(client, "lookup", t, s.Path.LOOKUP, body.encode())
            try:
                cards = found.json_object().get("cards") if found is not None else None
            except ValueError:
                cards = None
            first = cards[0] if isinstance(cards, list) and cards else None
            handle = first.get("handle") if isinstance(first, dict) else None
            if not isinstance(handle, str):
                handle = None
            if handle is None:
                self.results.record(op, None, "bench:no_handle")
                return
            body = s.PreLossRequest(handle=handle, channel="kiosk",
                                    terminal_id=t.terminal_id).model_dump_json()
            self._send(client, op, t, s.Path.PRE_LOSS, body.encode(),
                       key=secrets.token_hex(16))

    def _heartbeat(self, client: SignedHttp, t: Terminal, rng: random.Random) -> None:
        acks = self.acks.pop(t.terminal_id, [])
        # A terminal's parts keep their state for a while (a printer out of paper stays
        # out until someone comes): the lights are drawn per terminal per half hour.
        sticky = random.Random(f"{t.terminal_id}/{int(time.time() // 1800)}")
        body = heartbeat_body(t, sticky, acks, int(self.args.heartbeat_seconds))
        reply = self._send(client, "heartbeat", t, FleetPath.HEARTBEAT, body)
        if reply is None:
            self.acks[t.terminal_id] = acks  # sent again next time, like the agent
            return
        directives = reply.json_object().get("directives")
        for d in directives if isinstance(directives, list) else []:
            if isinstance(d, dict):
                self.acks[t.terminal_id].append({"directive_id": d["id"],
                                                 "outcome": "applied"})

    def _sender(self, url: str) -> None:
        client = SignedHttp(url)
        rng = random.Random()
        while True:
            item = self.jobs.get()
            if item[1] == "stop":
                return
            due, kind, what = item
            self.results.lag.append(max(0.0, time.monotonic() - due))
            if kind == "heartbeat" and isinstance(what, Terminal):
                self._heartbeat(client, what, rng)
            elif isinstance(what, str):
                self._cardholder(client, what)

    def _schedule(self, duration: float) -> None:
        """Open loop: jobs are queued at their time whatever the answers take."""
        start = time.monotonic()
        interval = self.args.heartbeat_seconds
        beats = [(start + interval * i / len(self.terminals), i)
                 for i in range(len(self.terminals))]
        heapq.heapify(beats)
        next_call = start + self.rng.expovariate(self.args.rate)
        ops, weights = [op for op, _ in MIX], [w for _, w in MIX]
        end = start + duration
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= end:
                break
            while beats and beats[0][0] <= now:
                due, i = heapq.heappop(beats)
                self.jobs.put((due, "heartbeat", self.terminals[i]))
                heapq.heappush(beats, (due + interval, i))
            while next_call <= now:
                self.jobs.put((next_call, "call", self.rng.choices(ops, weights)[0]))
                next_call += self.rng.expovariate(self.args.rate)
            wake = min(beats[0][0] if beats else end, next_call, end)
            self.stop.wait(max(0.0, min(0.05, wake - time.monotonic())))

    # ---- the run --------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        args = self.args
        tmp = Path(tempfile.mkdtemp(prefix="kiosk-centre-bench-"))
        cluster: PrivateCluster | None = None
        serve: subprocess.Popen[bytes] | None = None
        report: dict[str, Any] = {"terminals": args.terminals, "duration_s": args.duration,
                                  "workers": args.workers, "rate_per_s": args.rate,
                                  "heartbeat_s": args.heartbeat_seconds,
                                  "limits": BENCH_LIMITS_NOTE, "cores": os.cpu_count()}
        try:
            if args.db or args.url:  # an existing database (a throwaway one: it is filled)
                url = args.db or args.url
            else:
                cluster = start_cluster(durable=True)
                url = cluster.url
                report["postgres_startup_s"] = round(cluster.startup_seconds, 2)
            migrate(url)
            master = tmp / "master.key"
            create_master_key(master)
            db = PgDatabase(url, min_size=1, max_size=2)
            token = Operators(db).add("bench-" + secrets.token_hex(3), "viewer",
                                      actor="bench")
            rows = [(f"T-B{i:05d}-{secrets.token_hex(2)}", f"outlet-{i % 500:03d}",
                     f"region-{i % 16:02d}", "medical" if i % 4 == 0 else "outlet")
                    for i in range(args.terminals)]
            keys = Terminals(db, load_master_key(master)).add_many(rows)
            self.terminals = [Terminal(tid, key) for tid, key in keys.items()]
            self.people = seed_people(db, max(1000, args.terminals))
            calls = int(args.rate * args.duration * 0.15 * 1.5) + 100
            self.codes = issue_essc_codes(db, self.people, calls, self.rng)
            port, admin_port = free_port(), free_port()
            serve = subprocess.Popen(
                [sys.executable, "-m", "kiosk.centre.cli", "--url", url, "--master-key",
                 str(master), "serve", "--workers", str(args.workers), "--port", str(port),
                 "--admin-port", str(admin_port), "--data-dir", str(tmp / "data"),
                 "--core", "simulated"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            base, admin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}"
            self._wait(admin, token, serve)
            size0, tables0 = self._db_sizes(db), self._tables(db)
            cpu0 = self._cpu(serve, cluster)
            wall0 = time.monotonic()
            senders = [threading.Thread(target=self._sender, args=(base,), daemon=True)
                       for _ in range(SENDERS)]
            for th in senders:
                th.start()
            self._progress(args.duration)
            for _ in senders:
                self.jobs.put((0.0, "stop", None))
            for th in senders:
                th.join(60)
            wall = time.monotonic() - wall0
            cpu1 = self._cpu(serve, cluster)
            size1, tables1 = self._db_sizes(db), self._tables(db)
            grown = sorted(((tables1.get(t, 0) - tables0.get(t, 0), t) for t in tables1),
                           reverse=True)[:6]
            report["growth_by_table_mb_per_day"] = {
                t: round(b * 86_400 / wall / 1e6, 1) for b, t in grown if b > 0}
            report["page"] = self._page(admin, token)
            report.update(self._summarise(wall, cpu0, cpu1, size0, size1))
            db.close()
        finally:
            self.stop.set()
            if serve is not None:
                serve.terminate()
                try:
                    serve.wait(20)
                except subprocess.TimeoutExpired:
                    serve.kill()
            if cluster is not None:
                cluster.stop()
            shutil.rmtree(tmp, ignore_errors=True)  # its master key and bundles too
        return report

    def _progress(self, duration: float) -> None:
        scheduler = threading.Thread(target=self._schedule, args=(duration,), daemon=True)
        scheduler.start()
        scheduler.join(duration + 30)

    @staticmethod
    def _wait(admin: str, token: str, serve: subprocess.Popen[bytes]) -> None:
        for _ in range(600):
            if serve.poll() is not None:
                raise CliError("kiosk-centre serve ended: "
                               + (serve.stderr.read() if serve.stderr else b"")
                               .decode(errors="replace")[-300:])
            try:
                if requests.get(admin + "/admin/health", timeout=2, headers={
                        "Authorization": f"Bearer {token}"}).status_code == 200:
                    return
            except requests.RequestException:
                pass
            threading.Event().wait(0.1)
        raise CliError("kiosk-centre serve did not answer within 60 s")

    @staticmethod
    def _tables(db: PgDatabase) -> dict[str, int]:
        return {sql_str(r["name"]): sql_int(r["bytes"]) for r in db.all(
            "SELECT relname AS name, pg_total_relation_size(oid) AS bytes FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")}

    @staticmethod
    def _db_sizes(db: PgDatabase) -> dict[str, int]:
        # Bounded tables stop growing once every terminal is in them or their window
        # (nonces: twice the clock skew) is full; the rest grows for ever (until pruned).
        bounded = " + ".join(f"pg_total_relation_size('{t}')" for t in BOUNDED_TABLES)
        row = db.one("SELECT pg_database_size(current_database()) AS db, "
                     f"{bounded} AS bounded, "
                     "pg_total_relation_size('heartbeat_history') AS history, "
                     "(SELECT COUNT(*) FROM heartbeat_history) AS history_rows")
        assert row is not None
        return {k: sql_int(v) for k, v in dict(row).items()}

    @staticmethod
    def _cpu(serve: subprocess.Popen[bytes], cluster: PrivateCluster | None
             ) -> dict[str, float]:
        times = os.times()
        pg = _tree_cpu(cluster.pid() or 0) if cluster is not None else 0.0
        return {"centre": _tree_cpu(serve.pid), "postgres": pg,
                "load_generator": times.user + times.system}

    @staticmethod
    def _page(admin: str, token: str) -> dict[str, float]:
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

    def _summarise(self, wall: float, cpu0: dict[str, float], cpu1: dict[str, float],
                   size0: dict[str, int], size1: dict[str, int]) -> dict[str, Any]:
        ops = {}
        names = ["heartbeat", *(op for op, _ in MIX)]
        errors_total, p99s = 0, []
        for op in names:
            lat = self.results.latencies.get(op, [])
            errors = dict(self.results.errors.get(op, {}))
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
            "generator_lag_p99_ms": round(percentile(self.results.lag, 0.99) * 1000, 1),
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


def run_bench(args: argparse.Namespace) -> int:
    """``kiosk-centre bench`` (see the module doc); prints JSON with ``--json``."""
    if args.terminals < 1 or args.duration <= 0 or args.rate <= 0:
        raise CliError("--terminals, --duration and --rate must be positive", 2)
    if not 1 <= args.workers <= 64:
        raise CliError(f"--workers must be 1..64, got {args.workers}", 2)
    report = Bench(args).run()
    report["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report["load_average_1m"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    print(f"{args.terminals} terminals, {args.workers} workers, {report['wall_s']} s, "
          f"calls {args.rate}/s; load average {report['load_average_1m']}")
    for op, o in report["operations"].items():
        print(f"  {op:12} {o['rate_per_s']:8.2f}/s  p50 {o['p50_ms']:6.1f}  "
              f"p95 {o['p95_ms']:6.1f}  p99 {o['p99_ms']:6.1f} ms  errors {o['errors']}")
    cpu = report["cpu_share_of_one_core"]
    print(f"  CPU (share of one core): centre {cpu['centre']}, PostgreSQL {cpu['postgres']}"
          f", load generator {cpu['load_generator']}")
    print(f"  database +{report['db_growth_per_day_mb']} MB/day; heartbeat history "
          f"{report['history_per_1000_terminals_per_day_mb']} MB per 1,000 terminals a day")
    print(f"  fleet page, first page: p50 {report['page']['first_page_p50_ms']} ms, "
          f"p95 {report['page']['first_page_p95_ms']} ms")
    return 0
