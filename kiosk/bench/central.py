"""``kiosk bench central``: the client's own overhead and the outbox's throughput, on loopback.

Starts a private sandbox on 127.0.0.1 (free port, temporary data dir) and measures:

1. card-status lookup latency through :class:`CentralClient` (session reuse, signing,
   pydantic parsing);
2. the same signed POST with a bare ``requests.Session`` (connection reuse, no parsing):
   the difference is the client's own overhead;
3. the same with bare ``requests.post`` (new connection per call), for scale;
4. outbox throughput: enqueue N confirmed changes (each one fsync'd), then deliver them
   all through the sender (each one a signed, idempotent call to the sandbox).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import requests

from kiosk.central import schemas as s
from kiosk.central.client import CentralClient, new_idempotency_key
from kiosk.central.outbox import KIND_CANCEL_PRE_LOSS, KIND_PRE_LOSS, Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.central.request_build import chip_facts
from kiosk.central.sandbox import limits
from kiosk.central.sandbox.limits import Limit, RateLimiter
from kiosk.central.sandbox.server import start_sandbox_thread
from kiosk.central.signing import sign_request
from kiosk.config import load_settings
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.secrets import load_secrets


class Timing(TypedDict):
    """One call's latency over its runs."""

    median_ms: float
    p95_ms: float
    runs: int


class OutboxFigures(TypedDict):
    """The outbox's throughput through the client."""

    items: int
    enqueue_per_s: float
    deliver_per_s: float
    enqueue_plus_deliver_per_s: float
    delivered: int
    rejected: int


class CentralFigures(TypedDict):
    """The figures of ``kiosk bench central``."""

    client_status: Timing
    bare_session_status: Timing
    bare_requests_post_status: Timing
    client_overhead_median_ms: float
    outbox: OutboxFigures


def _interleaved(fns: dict[str, Callable[[], object]], runs: int, warmup: int = 10
                 ) -> dict[str, list[float]]:
    """Time each function ``runs`` times, taking turns, so drift hits all alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - started) * 1000)
    return out


def _summary(samples: list[float]) -> Timing:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3),
            "runs": len(ordered)}


def run(args: argparse.Namespace) -> int:
    runs = getattr(args, "runs", None) or 300
    items = max(20, runs // 3)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-central-") as tmp:
        data = Path(tmp)
        settings = load_settings(getattr(args, "config", None), environ={
            "KIOSK__KIOSK__DATA_DIR": str(data),
            "KIOSK__SECURITY__SECRETS_FILE": str(data / "absent.toml"),
            "KIOSK__KIOSK__DEMO": "true"})  # demo secrets
        secrets = load_secrets(settings)
        # Measures latency, not the limiters: one card is asked about ~1,000 times.
        unlimited = Limit(burst=1e9, per_second=1e9)
        saved = limits.CARD_NUMBER_LIMIT
        limits.CARD_NUMBER_LIMIT = unlimited
        try:
            handle = start_sandbox_thread(settings, port=0, db_path=data / "sandbox.db",
                                          secrets=secrets)
        finally:
            limits.CARD_NUMBER_LIMIT = saved
        # Measures latency, not the limiter: one terminal here makes ~1,000 calls a second.
        handle.gate.terminal_limit = RateLimiter(unlimited)
        try:
            settings = dataclasses.replace(settings, central=dataclasses.replace(
                settings.central, base_url=handle.url))
            client = CentralClient(settings, secrets)
            ssc, id_card = ssc_card_data("normal"), id_card_data("normal")
            body = s.CardStatusRequest.model_validate(
                {"card": chip_facts(ssc)}).model_dump_json().encode()
            url = handle.url + s.Path.CARD_STATUS
            term = settings.kiosk.terminal_id

            def bare(send: Callable[..., requests.Response]) -> Callable[[], None]:
                def call() -> None:
                    headers = {"Content-Type": "application/json",
                               **sign_request(secrets.terminal_key, term, "POST",
                                              s.Path.CARD_STATUS, body)}
                    resp = send(url, data=body, headers=headers, timeout=(3, 8))
                    assert resp.status_code == 200, resp.status_code
                return call

            session = requests.Session()
            samples = _interleaved({
                "client_status": lambda: client.card_status(ssc=ssc),
                "bare_session_status": bare(session.post),
                "bare_requests_post_status": bare(requests.post),
            }, runs)
            timings = {name: _summary(v) for name, v in samples.items()}
            session.close()
            overhead = round(timings["client_status"]["median_ms"]
                             - timings["bare_session_status"]["median_ms"], 3)

            box = Outbox(data / "outbox.sqlite3")
            card_handle = client.lookup_by_id_card(id_card).cards[0].handle
            # Queued as the journeys queue them: the request bodies the client makes.
            pre_loss: dict[str, object] = {"body": dict(client.pre_loss_request(card_handle).body)}
            cancel: dict[str, object] = {
                "body": dict(client.cancel_pre_loss_request(ssc, id_card).body)}
            started = time.perf_counter()
            for n in range(items):  # alternate pre-loss / cancel: every call is accepted
                if n % 2 == 0:
                    box.enqueue(KIND_PRE_LOSS, pre_loss, new_idempotency_key())
                else:
                    box.enqueue(KIND_CANCEL_PRE_LOSS, cancel, new_idempotency_key())
            enq = time.perf_counter() - started
            sender = OutboxSender(box, client)
            started = time.perf_counter()
            delivered = 0
            while box.stats().pending and delivered < items:
                delivered += sender.deliver_once()
            dlv = time.perf_counter() - started
            stats = box.stats()
            figures = CentralFigures(
                client_status=timings["client_status"],
                bare_session_status=timings["bare_session_status"],
                bare_requests_post_status=timings["bare_requests_post_status"],
                client_overhead_median_ms=overhead,
                outbox=OutboxFigures(
                    items=items, enqueue_per_s=round(items / enq, 1),
                    deliver_per_s=round(items / dlv, 1),
                    enqueue_plus_deliver_per_s=round(items / (enq + dlv), 1),
                    delivered=stats.delivered_total, rejected=stats.rejected_total))
            box.close()
            client.close()
        finally:
            handle.stop()
    if getattr(args, "json", False):
        print(json.dumps({"central": figures}, ensure_ascii=False))
    else:
        print("central (loopback sandbox)")
        for name in ("client_status", "bare_session_status", "bare_requests_post_status"):
            f = timings[name]
            print(f"  {name:27s} median {f['median_ms']:7.2f} ms   p95 {f['p95_ms']:7.2f} ms"
                  f"   ({f['runs']} runs)")
        print(f"  client overhead (median)    {figures['client_overhead_median_ms']:.2f} ms")
        o = figures["outbox"]
        print(f"  outbox {o['items']} items: enqueue {o['enqueue_per_s']}/s, deliver "
              f"{o['deliver_per_s']}/s, enqueue+deliver {o['enqueue_plus_deliver_per_s']}/s"
              f" (delivered {o['delivered']}, rejected {o['rejected']})")
    return 0 if figures["outbox"]["rejected"] == 0 else 1
