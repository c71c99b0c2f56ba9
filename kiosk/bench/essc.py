"""``kiosk bench cards``' e-SSC figure: a code scanned → the person's cards.

Headless here: from the moment the virtual scanner (a pty, as a USB-CDC scanner) sends
the code to the moment the sandbox's signed answer with the person's cards is parsed,
through the real scanner watcher and the real central client on loopback; and, within
that, scanned → ``code_scanned`` event (the framer). Codes are issued through the
sandbox's admin side before the clock starts. Goal: ≤ 300 ms.
"""

from __future__ import annotations

import dataclasses
import queue
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.central.client import CentralClient
from kiosk.central.sandbox.limits import Limit, RateLimiter
from kiosk.central.sandbox.server import start_sandbox_thread
from kiosk.config import load_settings
from kiosk.devices.scanner import ScanEventKind, ScannerWatcher, open_source
from kiosk.devices.virtual.scanner import VirtualScanner
from kiosk.secrets import load_secrets

TARGET_MS = 300


def measure_essc(summary: Callable[[list[float]], dict[str, float]], runs: int = 30
                 ) -> dict[str, Any]:
    """Median/p95 of scanned → event and scanned → cards over ``runs`` scans."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-essc-") as tmp:
        base = load_settings(environ={"KIOSK__KIOSK__DATA_DIR": tmp,
                                      "KIOSK__KIOSK__DEMO": "true",  # demo secrets
                                      "KIOSK__SECURITY__SECRETS_FILE": f"{tmp}/no-secrets"})
        secrets = load_secrets(base)
        sandbox = start_sandbox_thread(base, port=0, db_path=Path(tmp) / "sandbox.db",
                                       secrets=secrets)
        # Measures latency, not the per-terminal limiter.
        sandbox.gate.terminal_limit = RateLimiter(Limit(burst=1e9, per_second=1e9))
        settings = dataclasses.replace(base, central=dataclasses.replace(
            base.central, base_url=sandbox.url))
        link = Path(tmp) / "scanner"
        scanner = VirtualScanner(link)
        events: queue.Queue = queue.Queue()
        watcher = ScannerWatcher(lambda: open_source("serial", str(link)), events.put,
                                 kind="serial", where=str(link))
        client = CentralClient(settings, secrets)
        event_ms: list[float] = []
        cards_ms: list[float] = []
        try:
            watcher.start()
            events.get(timeout=5)
            for _ in range(runs):
                code = sandbox.admin("POST", "/essc/codes", json={"persona": "normal"})["code"]
                t0 = time.perf_counter()
                scanner.scan(code)
                ev = events.get(timeout=5)
                t1 = time.perf_counter()
                if ev.kind is not ScanEventKind.code_scanned:
                    raise RuntimeError(f"unexpected scanner event {ev.kind}")
                who = client.verify_essc(ev.code.text)
                t2 = time.perf_counter()
                assert who.cards
                event_ms.append((t1 - t0) * 1000)
                cards_ms.append((t2 - t0) * 1000)
        finally:
            client.close()
            watcher.stop()
            scanner.stop()
            sandbox.stop()
    return {"scanned_to_event_ms": summary(event_ms), "scanned_to_cards_ms": summary(cards_ms),
            "target_ms": TARGET_MS}
