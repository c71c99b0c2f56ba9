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
from dataclasses import dataclass
from pathlib import Path

import requests
from pydantic import JsonValue

from kiosk.central import schemas as s
from kiosk.central import schemas_essc as e
from kiosk.central.schemas_fleet import FleetPath
from kiosk.centre import bench_figures as figures
from kiosk.centre.bench_figures import PageFigures, Results, Summary
from kiosk.centre.bench_seed import issue_essc_codes, seed_people
from kiosk.centre.cluster import PrivateCluster, free_port, start_cluster
from kiosk.centre.keys import create_master_key, load_master_key
from kiosk.centre.loadgen import Reply, SignedHttp, Terminal, heartbeat_body
from kiosk.centre.migrate import migrate
from kiosk.centre.operators import Operators
from kiosk.centre.pg import PgDatabase
from kiosk.centre.sockets import all_listening
from kiosk.centre.terminals import Terminals
from kiosk.errors import CliError

SENDERS = 16  # enough for ~220 requests a second of ~10 ms; more threads only fight over the GIL
MIX = (("lookup", 0.40), ("card_status", 0.30), ("essc_verify", 0.15), ("pre_loss", 0.15))
BENCH_LIMITS_NOTE = "production limits (per terminal 20/s, per ID number 0.2/s)"


@dataclass
class BenchRun:
    """One run's report (the ``--json`` document, in its order) and the figures the
    text form prints."""

    report: dict[str, object]
    summary: Summary
    page: PageFigures


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

    def run(self) -> BenchRun:
        args = self.args
        tmp = Path(tempfile.mkdtemp(prefix="kiosk-centre-bench-"))
        cluster: PrivateCluster | None = None
        serve: subprocess.Popen[bytes] | None = None
        report: dict[str, object] = {"terminals": args.terminals, "duration_s": args.duration,
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
            self._wait(admin, token, serve, port, args.workers)
            size0, tables0 = figures.db_sizes(db), figures.tables(db)
            cpu0 = figures.cpu(serve, cluster)
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
            cpu1 = figures.cpu(serve, cluster)
            size1, tables1 = figures.db_sizes(db), figures.tables(db)
            grown = sorted(((tables1.get(t, 0) - tables0.get(t, 0), t) for t in tables1),
                           reverse=True)[:6]
            report["growth_by_table_mb_per_day"] = {
                t: round(b * 86_400 / wall / 1e6, 1) for b, t in grown if b > 0}
            report["page"] = page = figures.page_figures(admin, token)
            summary = figures.summarise(self.results, ["heartbeat", *(op for op, _ in MIX)],
                                        wall, cpu0, cpu1, size0, size1)
            report.update(summary)
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
        return BenchRun(report, summary, page)

    def _progress(self, duration: float) -> None:
        scheduler = threading.Thread(target=self._schedule, args=(duration,), daemon=True)
        scheduler.start()
        scheduler.join(duration + 30)

    @staticmethod
    def _wait(admin: str, token: str, serve: subprocess.Popen[bytes], port: int,
              workers: int) -> None:
        """Until an operator call answers and every worker listens on the public port
        (the load's kept-alive connections are spread over the workers listening when
        they open)."""
        for _ in range(600):
            if serve.poll() is not None:
                raise CliError("kiosk-centre serve ended: "
                               + (serve.stderr.read() if serve.stderr else b"")
                               .decode(errors="replace")[-300:])
            try:
                if requests.get(admin + "/admin/health", timeout=2, headers={
                        "Authorization": f"Bearer {token}"}).status_code == 200 and \
                        all_listening(serve.pid, port, workers):
                    return
            except requests.RequestException:
                pass
            threading.Event().wait(0.1)
        raise CliError("kiosk-centre serve did not answer within 60 s")


def run_bench(args: argparse.Namespace) -> int:
    """``kiosk-centre bench`` (see the module doc); prints JSON with ``--json``."""
    if args.terminals < 1 or args.duration <= 0 or args.rate <= 0:
        raise CliError("--terminals, --duration and --rate must be positive", 2)
    if not 1 <= args.workers <= 64:
        raise CliError(f"--workers must be 1..64, got {args.workers}", 2)
    run = Bench(args).run()
    load_average = round(os.getloadavg()[0], 2)
    run.report["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    run.report["load_average_1m"] = load_average
    if args.json:
        print(json.dumps(run.report, indent=1, ensure_ascii=False))
        return 0
    figures.print_text(args, run.summary, run.page, load_average)
    return 0
