"""``kiosk bench cards``' e-SSC figure: a code scanned → the person's cards.

Headless here: from the moment the virtual scanner (a pty, as a USB-CDC scanner) sends
the code to the moment the sandbox's signed answer with the person's cards is parsed,
through the real scanner watcher and the real central client on loopback; and, within
that, scanned → ``code_scanned`` event (the framer). Codes are issued through the
sandbox's admin side before the clock starts. Goal: ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from kiosk.bench.figures import EsscFigures, ScreenSpread, Spread, parse_child
from kiosk.central.client import CentralClient
from kiosk.central.sandbox.limits import Limit, RateLimiter
from kiosk.central.sandbox.server import SandboxHandle, start_sandbox_thread
from kiosk.config import load_settings
from kiosk.devices.scanner import (
    ScanEventKind,
    ScannerWatcher,
    open_source,
    virtual_scanner_path,
)
from kiosk.devices.virtual.scanner import VirtualScanner
from kiosk.secrets import load_secrets
from kiosk.services.states import EndReason
from kiosk.ui.xvfb import Xvfb

TARGET_MS = 300


def issue_code(sandbox: SandboxHandle, persona: str = "normal") -> str:
    """A one-time e-SSC code the sandbox issues for ``persona``'s phone app."""
    answer: object = sandbox.admin("POST", "/essc/codes", json={"persona": persona})
    code = answer.get("code") if isinstance(answer, dict) else None
    if not isinstance(code, str):
        raise RuntimeError(f"the sandbox issued no e-SSC code: {answer!r}")
    return code


def measure_essc(summary: Callable[[list[float]], Spread], runs: int = 30) -> EsscFigures:
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
                code = issue_code(sandbox)
                t0 = time.perf_counter()
                scanner.scan(code)
                ev = events.get(timeout=5)
                t1 = time.perf_counter()
                if ev.kind is not ScanEventKind.CODE_SCANNED:
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


def _window_child(runs: int) -> ScreenSpread:
    """In a child process: the app in a window (a private Xvfb without a display), the
    parts from the composition root with the QR scanner on a virtual pty scanner and
    the sandbox on loopback; at the pre-loss identify screen, a code written to the pty
    → the cards screen's first drawn frame."""
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-essc-ui-"))
    env = {"KIOSK__KIOSK__DATA_DIR": str(tmp), "KIOSK__KIOSK__LOG_DIR": str(tmp / "log"),
           "KIOSK__SECURITY__SECRETS_FILE": str(tmp / "absent.toml"),
           "KIOSK__KIOSK__DEMO": "true", "KIOSK__CARDS__ID_READER": "none",
           "KIOSK__CARDS__QR_SCANNER": "serial", "KIOSK__CARDS__QR_SCANNER_PORT": "virtual",
           "KIOSK__PRINTER__KIND": "dummy", "KIOSK__SPEECH__ENABLED": "false"}
    settings = load_settings(environ=env)
    secrets = load_secrets(settings)
    sandbox = start_sandbox_thread(settings, port=0, db_path=tmp / "sandbox.db",
                                   secrets=secrets)
    sandbox.gate.terminal_limit = RateLimiter(Limit(burst=1e9, per_second=1e9))
    settings = dataclasses.replace(settings, central=dataclasses.replace(
        settings.central, base_url=sandbox.url))
    scanner = VirtualScanner(virtual_scanner_path(settings))
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb = Xvfb(settings.display.width, settings.display.height)
        os.environ["DISPLAY"] = xvfb.display
    try:
        # lazy: Kivy is configured by build_app, before any Kivy import (and only this
        # child process loads it: the bench process stays free of Kivy)
        from kiosk.composition import build_app
        from kiosk.ui.registry import JOURNEY_SCREENS, SHELL_SCREENS

        app = build_app(settings, kivy_home=tmp / "kivy", cards=False,
                        screens=SHELL_SCREENS + JOURNEY_SCREENS, console_log=False)
        from kivy.core.window import Window  # lazy: as above

        from kiosk.ui.driver import AppDriver  # lazy: as above

        ui = AppDriver(app)
        sm, parts = app.sm, app.compose()
        # lazy: heavy; the app has built its parts by now (compose)
        from kiosk.composition.parts import KioskParts

        assert sm is not None and isinstance(parts, KioskParts)  # built by now
        parts.start()
        scanner_part = parts.scanner
        assert scanner_part is not None, "the demo's virtual scanner is configured"
        ui.wait_until(lambda: scanner_part.status()["state"] == "up", 10, "scanner up")
        flips: deque[float] = deque(maxlen=64)
        shown_at: dict[str, float] = {}
        Window.bind(on_flip=lambda *_: flips.append(time.perf_counter()))
        sm.bind(current=lambda _sm, name: shown_at.__setitem__(name, time.perf_counter()))
        times: list[float] = []
        for i in range(runs + 1):  # the first is a warm-up (the screens' first drawing)
            ui.tap(key="attract.pre_loss")
            ui.wait_for_screen("pre_loss")
            ui.pump_frames(2)
            code = issue_code(sandbox)
            t0 = time.perf_counter()
            scanner.scan(code)

            def cards_shown(t: float = t0) -> bool:
                return sm.current == "pre_loss_cards" \
                    and shown_at.get("pre_loss_cards", 0) >= t

            ui.wait_until(cards_shown, 10, "cards shown")
            since = shown_at["pre_loss_cards"]

            def drawn(s: float = since) -> bool:
                return any(f >= s for f in flips)

            ui.wait_until(drawn, 10, "a frame")
            if i:
                times.append((next(f for f in flips if f >= since) - t0) * 1000)
            app.end_session(EndReason.RESET)
            ui.pump(0.05)
        parts.stop()
        ordered = sorted(times)
        return {"n": len(times), "median": round(statistics.median(times), 1),
                "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                             1), "max": round(max(times), 1)}
    finally:
        scanner.stop()
        sandbox.stop()
        if xvfb is not None:
            xvfb.stop()


def measure_essc_screen(runs: int = 15) -> ScreenSpread:
    """"Code scanned → person's cards on screen", measured in a child process (Kivy stays
    out of the bench process). Raises RuntimeError when the child fails."""
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    proc = subprocess.run([sys.executable, "-m", "kiosk.bench.essc", "--runs", str(runs)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"e-SSC window bench failed: {(proc.stderr or proc.stdout)[-400:]}")
    return parse_child(lines[-1], ScreenSpread)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="child of kiosk bench cards (e-SSC)")
    parser.add_argument("--runs", type=int, default=15)
    print(json.dumps(_window_child(parser.parse_args().runs)))
