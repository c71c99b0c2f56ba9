"""``kiosk bench journeys``: screen switches, card → cards shown, memory over sessions.

Everything real, in a child process (Kivy and PC/SC stay out of the ``kiosk bench``
process): the app in a window (a private Xvfb when there is no display), the journeys
wired to a CentralClient on a sandbox on 127.0.0.1, an SQLite outbox, and a CardHub on a
private pcscd with virtual cards (when this machine can run one).

Figures:
- screen switch: the finger lifting from a guidance topic / the back button (buttons act
  on release) → the new screen's first drawn frame (median, p95). The app's frame cap
  (30 fps) is part of the figure.
- card inserted → the person's cards shown: virtual ID card into the reader → cards
  screen drawn (PC/SC read + central lookup over HTTP + render).
- RSS before/after N scripted sessions (default 1,000): identify by a card event,
  central lookup, cards, consequences, a guidance topic, the status journey, end
  (session wiped). No growth beyond a few MB is the target.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from kiosk.cli.common import CliError
from kiosk.config import load_settings
from kiosk.devices.card_hub import HubEvent
from kiosk.devices.events import CardEventKind
from kiosk.devices.virtual.pcscd import PrivatePcscd, missing_requirements
from kiosk.devices.virtual.slots import VirtualSlots
from kiosk.domain.models import IdCardData
from kiosk.personas import persona
from kiosk.secrets import load_secrets
from kiosk.services.states import EndReason
from kiosk.ui.launch import composed, create_app
from kiosk.ui.registry import JOURNEY_SCREENS, SHELL_SCREENS
from kiosk.ui.xvfb import Xvfb

TARGET_SWITCH_MS = 100.0
TARGET_CARD_TO_CARDS_MS = 1000.0
TARGET_RSS_GROWTH_MB = 5.0
TARGET_LOADED_SWITCH_P95_MS = 50.0
SOAK_EVERY = 1000  # sessions between soak samples (a quarter of a short run)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _id_card(key: str) -> Any:
    p = persona(key)["id"]

    def day(text: str) -> dt.date | None:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])) if text else None

    return IdCardData(name=p["name"], gender="male", ethnicity=p["ethnicity"],
                      birth_date=day(p["birth_date"]), address=p["address"],
                      id_number=p["id_number"], authority=p["authority"],
                      valid_from=day(p["valid_from"]), valid_to=day(p["valid_to"]))


def _start_sandbox(env: dict[str, str], config: str | None,
                   tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``kiosk sandbox`` on a free loopback port; returns the process and its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [sys.executable, "-m", "kiosk", "sandbox", "--port", str(port),
           "--db", str(tmp / "sandbox.db")]
    if config:
        cmd += ["--config", config]
    proc = subprocess.Popen(cmd, env={**os.environ, **{k: json.dumps(v) if v not in
                                                      ("true", "false") else v
                                                      for k, v in env.items()}},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the sandbox did not start")


def _soak_sample(done: int, tmp: Path) -> dict[str, Any]:
    """What must stay flat over a soak: RSS, open fds, threads, the outbox and sandbox
    database sizes, Kivy widgets alive."""
    from kivy.uix.widget import Widget  # lazy: Kivy, configured by create_app first

    def kb(paths: list[Path]) -> int:
        return sum(p.stat().st_size for p in paths if p.is_file()) // 1024

    gc.collect()
    return {"sessions": done, "rss_mb": round(_rss_mb(), 1),
            "fds": len(os.listdir("/proc/self/fd")),
            "threads": len(os.listdir("/proc/self/task")),
            "outbox_kb": kb([p for p in tmp.rglob("*outbox*")]),
            "sandbox_db_kb": kb(list(tmp.glob("sandbox.db*"))),
            "widgets": sum(1 for o in gc.get_objects() if isinstance(o, Widget))}


def _child(sessions: int, switches: int, inserts: int, config: str | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-journeys-"))
    env = {"KIOSK__KIOSK__DATA_DIR": str(tmp), "KIOSK__KIOSK__LOG_DIR": str(tmp / "log"),
           "KIOSK__SECURITY__SECRETS_FILE": str(tmp / "absent.toml"),
           "KIOSK__KIOSK__DEMO": "true",  # demo secrets
           "KIOSK__KIOSK__SITE": "outlet", "KIOSK__CARDS__ID_READER": "pcsc",
           "KIOSK__PRINTER__KIND": "dummy", "KIOSK__SPEECH__ENABLED": "false"}
    settings = load_settings(config, environ=env)
    load_secrets(settings)  # creates the demo terminal key the sandbox will trust too
    daemon = slots = None
    if missing_requirements() is None:
        daemon = PrivatePcscd(tmp / "pcscd")
        daemon.use()  # before anything touches PC/SC in this process
        daemon.start()
        slots = VirtualSlots(daemon.vpcd_port)
    # The sandbox in its own process: the RSS figure is the kiosk's alone.
    sandbox, url = _start_sandbox(env, config, tmp)
    settings = dataclasses.replace(settings, central=dataclasses.replace(
        settings.central, base_url=url))
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb = Xvfb(settings.display.width, settings.display.height)
        os.environ["DISPLAY"] = xvfb.display
    figures: dict[str, Any] = {"pcscd": "private" if daemon else "none (card figures skipped)"}
    try:
        # The shell's screens and the journeys (what the cardholder path uses), on
        # parts from the composition root, as `kiosk run` builds them.
        app = create_app(settings, composed(cards=daemon is not None),
                         screens=SHELL_SCREENS + JOURNEY_SCREENS, kivy_home=tmp / "kivy",
                         console_log=False)
        from kivy.core.window import Window  # lazy: after create_app configured Kivy

        from kiosk.ui.driver import AppDriver  # lazy: as above

        ui = AppDriver(app)
        parts = app.compose()
        parts.start()
        flips: deque[float] = deque(maxlen=64)  # bounded: the bench must not leak itself
        shown_at: dict[str, float] = {}
        Window.bind(on_flip=lambda *_: flips.append(time.perf_counter()))
        app.sm.bind(current=lambda _sm, name: shown_at.__setitem__(name, time.perf_counter()))
        ups: deque[float] = deque(maxlen=8)  # the finger lifts: buttons act on release
        Window.bind(on_touch_up=lambda *_: ups.append(time.perf_counter()))

        def drawn_after(t0: float, name: str, timeout: float = 10.0) -> float:
            """ms from t0 to the first frame drawn after screen ``name`` became current
            (the driver pumps frames inside a tap, so the frame may be drawn already)."""
            ui.wait_until(lambda: app.sm.current == name and shown_at.get(name, 0) >= t0,
                          timeout, f"screen {name}")
            since = shown_at[name]
            ui.wait_until(lambda: any(f >= since for f in flips), timeout, "a frame")
            return (next(f for f in flips if f >= since) - t0) * 1000

        # 1. Screen switches by touch: guidance index ⇄ topic.
        ui.tap(key="attract.guide")
        ui.wait_for_screen("guide")
        times = []
        ui.pump_frames(3)
        topics = [w for w in ui.find_all(root=app.sm.get_screen("guide"))
                  if getattr(w, "topic", "")]
        topics = topics[:4]  # the ones on screen without scrolling
        for i in range(switches):
            w = topics[i % len(topics)]
            x, y = w.to_window(*w.center)
            ui.tap_at(x, y)
            times.append(drawn_after(ups[-1], "guidance_topic"))
            back = app.sm.current_screen.frame.ids.header.back_button
            ui.pump_frames(1)
            x, y = back.to_window(*back.center)
            ui.tap_at(x, y)
            times.append(drawn_after(ups[-1], "guide"))
        app.end_session(EndReason.RESET)
        figures["switch_ms"] = {"median": round(statistics.median(times), 1),
                                "p95": round(_p95(times), 1), "n": len(times)}

        # 2. Card inserted → the person's cards shown.
        if slots is not None:
            card_times = []
            for _ in range(inserts):
                ui.tap(key="attract.pre_loss")
                ui.wait_for_screen("pre_loss")
                t0 = time.perf_counter()
                slots.insert("normal", "id")
                card_times.append(drawn_after(t0, "pre_loss_cards"))
                slots.remove("id")
                app.end_session(EndReason.RESET)
                ui.pump(0.3)  # the reader sees the card gone
            figures["card_to_cards_ms"] = {"median": round(statistics.median(card_times), 1),
                                           "p95": round(_p95(card_times), 1),
                                           "n": len(card_times)}

        # 3. Memory over scripted sessions (card events injected; everything else real).
        ctl = parts.controller
        normal, repl = _id_card("normal"), _id_card("replacement")

        def event(card: Any) -> Any:
            return HubEvent(CardEventKind.CARD_READ, "id", card)

        def session(i: int) -> None:
            app.start_route("pre_loss")
            # The card only counts once the identify step is up (a loaded machine is slow).
            ui.wait_until(lambda: app.sm.current == "pre_loss", 30, "identify")
            ctl.on_card_event(event(normal))
            ui.wait_until(lambda: app.sm.current == "pre_loss_cards", 30, "cards")
            ctl.pre_loss.choose_card("0")
            ctl.guidance.open_topic("proxy")
            ui.pump_frames(1)
            ctl.back()
            ui.pump_frames(1)
            if i % 2:
                app.go_home()
                app.start_route("status")
                ui.wait_until(lambda: app.sm.current == "status", 30, "identify")
                ctl.on_card_event(event(repl))
                ui.wait_until(lambda: app.sm.current == "status_progress", 30, "status")
            app.go_home()
            if not ctl.session.is_empty():
                raise RuntimeError("session data left after the session ended")

        for i in range(min(200, sessions)):  # warm-up: caches, pools, fonts, threads
            session(i)
        gc.collect()
        before = _rss_mb()
        samples = [round(before, 1)]
        soak = [_soak_sample(0, tmp)]
        every = SOAK_EVERY if sessions >= 2 * SOAK_EVERY else max(1, sessions // 4)
        t0 = time.perf_counter()
        for i in range(sessions):
            session(i)
            if (i + 1) % every == 0:
                soak.append(_soak_sample(i + 1, tmp))
                samples.append(soak[-1]["rss_mb"])
                print(json.dumps({"soak": soak[-1]}), file=sys.stderr, flush=True)
        wall = time.perf_counter() - t0
        gc.collect()
        after = _rss_mb()
        figures["rss_mb"] = {"before": round(before, 1), "after": round(after, 1),
                             "growth": round(after - before, 1), "sessions": sessions,
                             "samples": samples,
                             "session_ms": round(1000 * wall / max(1, sessions), 1),
                             "every": every}
        figures["soak"] = soak
        ui.stop()  # the app stops its parts
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        if slots is not None:
            slots.remove()
        if daemon is not None:
            daemon.stop()
        if xvfb is not None:
            xvfb.stop()
    return figures


def run(args: argparse.Namespace) -> int:
    """Run the measurements in a child process; print figures; 1 if a target is missed."""
    sessions = getattr(args, "sessions", None) or getattr(args, "runs", None) or 1000
    load = bool(getattr(args, "load", False))
    cmd = [sys.executable, "-m", "kiosk.bench.journeys", "--sessions", str(sessions)]
    if getattr(args, "config", None):
        cmd += ["--config", str(args.config)]
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    # --load: one core kept busy by a plain CPU hog (same priority as the kiosk) for the
    # whole run, started and stopped here.
    hog = (subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
           if load else None)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=60 + 2 * sessions, check=False)
    except subprocess.TimeoutExpired:
        raise CliError("bench journeys: the child did not finish in time") from None
    finally:
        if hog is not None:
            hog.kill()
            hog.wait(5)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise CliError(f"bench journeys failed: {(proc.stderr or proc.stdout)[-600:]}")
    fig = json.loads(lines[-1])
    fig["load"] = "one core kept busy by a CPU hog" if load else "none"
    ok = (fig["switch_ms"]["median"] < TARGET_SWITCH_MS
          and (not load or fig["switch_ms"]["p95"] <= TARGET_LOADED_SWITCH_P95_MS)
          and fig.get("card_to_cards_ms", {}).get("median", 0) < TARGET_CARD_TO_CARDS_MS
          and fig["rss_mb"]["growth"] < TARGET_RSS_GROWTH_MB)
    if getattr(args, "json", False):
        print(json.dumps({"journeys": fig, "ok": ok}, ensure_ascii=False))
        return 0 if ok else 1
    s, r = fig["switch_ms"], fig["rss_mb"]
    print(f"journeys (sandbox on loopback, pcscd {fig['pcscd']}, load: {fig['load']})")
    print(f"  screen switch (release → drawn) median {s['median']:6.1f} ms   p95 "
          f"{s['p95']:6.1f} ms   n={s['n']}   (target < {TARGET_SWITCH_MS:g} ms)")
    if "card_to_cards_ms" in fig:
        c = fig["card_to_cards_ms"]
        print(f"  card inserted → cards shown   median {c['median']:6.1f} ms   p95 "
              f"{c['p95']:6.1f} ms   n={c['n']}   (target < {TARGET_CARD_TO_CARDS_MS:g} ms)")
    print(f"  RSS over {r['sessions']} sessions      before {r['before']:.1f} MB   after "
          f"{r['after']:.1f} MB   growth {r['growth']:+.1f} MB   ({r['session_ms']:.0f} ms a "
          f"session; target < {TARGET_RSS_GROWTH_MB:g} MB)")
    print(f"  RSS every {r['every']} sessions (MB): {r['samples']}")
    for x in fig.get("soak", []):
        print(f"  after {x['sessions']:>6} sessions: RSS {x['rss_mb']:.1f} MB, fds {x['fds']}, "
              f"threads {x['threads']}, outbox {x['outbox_kb']} kB, sandbox db "
              f"{x['sandbox_db_kb']} kB, widgets {x['widgets']}")
    return 0 if ok else 1


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="child of kiosk bench journeys")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--switches", type=int, default=40)
    parser.add_argument("--inserts", type=int, default=15)
    parser.add_argument("--config", default=None)
    a = parser.parse_args(argv)
    figures = _child(a.sessions, a.switches, a.inserts, a.config)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
