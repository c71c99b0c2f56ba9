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
  screen drawn (PC/SC read + central lookup over HTTP + render). The card is then lifted
  and the bench waits, up to a limit, for that to end the session (the one-person rule)
  with no card left on the hub's ID reader: never a fixed pause, since a removal still
  on its way would end a soak session.
- RSS before/after N scripted sessions (default 1,000): identify by a card event,
  central lookup, cards, consequences, a guidance topic, the status journey, end
  (session wiped). Samples every 1,000 sessions (kiosk/bench/soak.py); the soak lifts
  the frame cap (``app.frame_rate``, the idle governor, at SOAK_FPS) so 10,000 sessions
  take minutes, not hours: the same sessions, fewer idle waits between frames.

The kiosk child runs at the service's priority (``Nice=`` of kiosk.service, when this
user may set it) and the sandbox niced (kiosk/bench/bench_sandbox.py). Each switch is
split into phases (kiosk/bench/frames.py): finger lifted → screen current → draw
started → buffer swapped, plus GC pauses; ``--load`` prints the slow ones' split.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from kiosk.bench import soak as soaking
from kiosk.bench.bench_sandbox import start_sandbox
from kiosk.bench.figures import parse_child
from kiosk.bench.journeys_figures import JourneysFigures
from kiosk.cli.common import CliError
from kiosk.composition import build_app
from kiosk.composition.parts import KioskParts
from kiosk.config import load_settings
from kiosk.devices.card_hub import HubEvent
from kiosk.devices.events import CardEventKind
from kiosk.devices.virtual.pcscd import PrivatePcscd, missing_requirements
from kiosk.devices.virtual.slots import VirtualSlots
from kiosk.domain.models import IdCardData
from kiosk.personas import persona
from kiosk.secrets import load_secrets
from kiosk.services.states import EndReason, Step
from kiosk.system.priority import KIOSK_NICE, set_process_nice
from kiosk.system.processes import stop_process
from kiosk.ui.registry import JOURNEY_SCREENS, SHELL_SCREENS
from kiosk.ui.xvfb import Xvfb

TARGET_SWITCH_MS = 100.0
TARGET_CARD_TO_CARDS_MS = 1000.0
TARGET_RSS_GROWTH_MB = soaking.TARGET_RSS_GROWTH_MB
TARGET_LOADED_SWITCH_P95_MS = 50.0
SOAK_EVERY = 1000  # sessions between soak samples (a quarter of a short run)
SLOW_MS = 50.0     # switches slower than this are itemised by phase


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _id_card(key: str) -> IdCardData:
    p = persona(key)["id"]

    def day(text: str) -> dt.date:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))

    return IdCardData(name=p["name"], gender="male", ethnicity=p["ethnicity"],
                      birth_date=day(p["birth_date"]), address=p["address"],
                      id_number=p["id_number"], authority=p["authority"],
                      valid_from=day(p["valid_from"]),
                      valid_to=day(p["valid_to"]) if p["valid_to"] else None)


def _child(sessions: int, switches: int, inserts: int, config: str | None
           ) -> JourneysFigures:
    # The kiosk's own priority, as its service unit sets it (when this user may):
    # KIOSK_NICE ahead of the bench itself and its CPU hog (a `nice`d bench stays nice).
    niced = set_process_nice(0, max(-20, os.getpriority(os.PRIO_PROCESS, 0) + KIOSK_NICE))
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
    sandbox, url = start_sandbox(env, config, tmp)
    settings = dataclasses.replace(settings, central=dataclasses.replace(
        settings.central, base_url=url))
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb = Xvfb(settings.display.width, settings.display.height)
        os.environ["DISPLAY"] = xvfb.display
    figures: JourneysFigures = {
        "pcscd": "private" if daemon else "none (card figures skipped)",
        "kiosk_nice": os.getpriority(os.PRIO_PROCESS, 0),
        "kiosk_nice_note": (f"{KIOSK_NICE:+d} from the bench, as kiosk.service" if niced
                            else "unchanged: not allowed here (not root)")}
    try:
        # The shell's screens and the journeys (what the cardholder path uses), on
        # parts from the composition root, as `kiosk run` builds them.
        app = build_app(settings, cards=daemon is not None,
                        screens=SHELL_SCREENS + JOURNEY_SCREENS, kivy_home=tmp / "kivy",
                        console_log=False)
        from kivy.clock import Clock  # lazy: after build_app configured Kivy

        from kiosk.bench.frames import SwitchClock, clock  # lazy: as above
        from kiosk.ui.driver import AppDriver  # lazy: as above

        ui = AppDriver(app)
        sm, parts = app.sm, app.compose()
        assert sm is not None and parts is not None  # built by the driver and compose
        assert isinstance(parts, KioskParts)  # what build_app composes
        parts.start()
        marks = SwitchClock(sm)
        ctl = parts.controller

        def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
            try:
                ui.wait_until(condition, timeout, what)
            except AssertionError as exc:  # say where it stopped instead
                st = ctl.state
                ended = f", the session ended: {st.end_reason}" if st.step == Step.HOME else ""
                raise RuntimeError(f"{exc} (the screen is {sm.current!r}{ended})") from None

        def wait_screen(name: str, timeout: float, what: str) -> None:
            wait_for(lambda: sm.current == name, timeout, what)

        def id_card_present() -> bool:
            hub = parts.hub
            return hub is not None and any(r["slot"] == "id" and r["card_present"]
                                           for r in hub.snapshot()["readers"])

        def lifted() -> bool:
            """The lifted ID card ended the session (one person a session) and the
            hub has no card on the ID reader."""
            st = ctl.state
            return (st.step == Step.HOME and st.end_reason == EndReason.ID_CARD_REMOVED
                    and sm.current == "attract" and not id_card_present())

        def drawn_after(t0: float, name: str, timeout: float = 10.0) -> dict[str, float]:
            """Phases (ms from t0) up to the first frame on screen after screen ``name``
            became current (the driver pumps frames inside a tap: may be done already)."""
            return ui.wait_until(lambda: marks.phases(t0, name), timeout, f"screen {name}")

        # 1. Screen switches by touch: guidance index ⇄ topic.
        ui.tap(key="attract.guide")
        ui.wait_for_screen("guide")
        split: list[dict[str, float]] = []
        ui.pump_frames(3)
        topics = [w for w in ui.find_all(root=sm.get_screen("guide"))
                  if getattr(w, "topic", "")]
        topics = topics[:4]  # the ones on screen without scrolling
        for i in range(switches):
            w = topics[i % len(topics)]
            x, y = w.to_window(*w.center)
            ui.tap_at(x, y)
            split.append(drawn_after(marks.ups[-1], "guidance_topic"))
            back = sm.current_screen.frame.ids.header.back_button
            ui.pump_frames(1)
            x, y = back.to_window(*back.center)
            ui.tap_at(x, y)
            split.append(drawn_after(marks.ups[-1], "guide"))
        app.end_session(EndReason.RESET)
        times = [p["swap"] for p in split]
        slow = [p for p in split if p["swap"] > SLOW_MS]
        figures["switch_ms"] = {"median": round(statistics.median(times), 1),
                                "p95": round(_p95(times), 1), "n": len(times),
                                "phases_median": {k: round(statistics.median(
                                    p[k] for p in split), 1) for k in split[0]},
                                "slow": slow[:20]}

        # 2. Card inserted → the person's cards shown; lifted → the session ends.
        if slots is not None:
            card_times = []
            for _ in range(inserts):
                ui.tap(key="attract.pre_loss")
                ui.wait_for_screen("pre_loss")
                t0 = clock()
                slots.insert("normal", "id")
                card_times.append(drawn_after(t0, "pre_loss_cards")["swap"])
                slots.remove("id")
                # Wait for the removal to take effect, however late: pcscd sees it only
                # at its next poll of the reader (0.1-0.35 s here, more under load), and
                # a removal still on its way when the soak starts would end the soak's
                # session whose ID card the bench hands the controller: the screen back
                # at attract, "waiting for cards".
                wait_for(lifted, 10, "the lifted ID card to end the session")
            figures["card_to_cards_ms"] = {"median": round(statistics.median(card_times), 1),
                                           "p95": round(_p95(card_times), 1),
                                           "n": len(card_times)}

        # 3. Memory over scripted sessions (card events injected; everything else real).
        normal, repl = _id_card("normal"), _id_card("replacement")

        def event(card: IdCardData) -> HubEvent:
            return HubEvent(CardEventKind.CARD_READ, "id", card)

        def session(i: int) -> None:
            app.start_route("pre_loss")
            # The card only counts once the identify step is up (a loaded machine is slow).
            wait_screen("pre_loss", 30, "identify")
            ctl.on_card_event(event(normal))
            wait_screen("pre_loss_cards", 30, "cards")
            ctl.pre_loss.choose_card("0")
            ctl.guidance.open_topic("proxy")
            ui.pump_frames(1)
            ctl.back()
            ui.pump_frames(1)
            if i % 2:
                app.go_home()
                app.start_route("status")
                wait_screen("status", 30, "identify")
                ctl.on_card_event(event(repl))
                wait_screen("status_progress", 30, "status")
            app.go_home()
            if not ctl.session.is_empty():
                raise RuntimeError("session data left after the session ended")

        # The soak waits on frames: lift the governor's cap for it (restored after).
        governor = app.frame_rate
        cap = governor.active_fps
        governor.active_fps = Clock._max_fps = soaking.SOAK_FPS
        marks.close()
        for i in range(min(200, sessions)):  # warm-up: caches, pools, fonts, threads
            session(i)
        every = SOAK_EVERY if sessions >= 2 * SOAK_EVERY else max(1, sessions // 4)
        soak = [soaking.sample(0, tmp)]
        t0 = clock()
        for i in range(sessions):
            session(i)
            if (i + 1) % every == 0:
                soak.append(soaking.sample(i + 1, tmp))
                print(json.dumps({"soak": soak[-1]}), file=sys.stderr, flush=True)
        wall = clock() - t0
        verdict = soaking.verdict(soak)
        figures["rss_mb"] = {"before": soak[0]["rss_mb"], "after": soak[-1]["rss_mb"],
                             "growth": verdict["rss_growth_mb"], "sessions": sessions,
                             "samples": [x["rss_mb"] for x in soak],
                             "session_ms": round(1000 * wall / max(1, sessions), 1),
                             "every": every, "frame_cap_fps": soaking.SOAK_FPS}
        figures["soak"] = soak
        figures["soak_verdict"] = verdict
        governor.active_fps = Clock._max_fps = cap
        ui.stop()  # the app stops its parts
    finally:
        stop_process(sandbox, 10)
        if slots is not None:
            slots.remove()
        if daemon is not None:
            daemon.stop()
        if xvfb is not None:
            xvfb.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return figures


def _one_line(text: str) -> str:
    """The last non-empty line of a child's output (its error), for a one-line report."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()
             and not ln.startswith("{")]
    return (lines[-1] if lines else "no output")[:300]


def _run_child(cmd: list[str], env: dict[str, str], timeout: float,
               echo: bool) -> tuple[int, str, str]:
    """Run the child; soak samples on its stderr are echoed as they come (a 10,000-session
    soak runs for a while). Returns (exit code, stdout, the stderr tail)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    tail: deque[str] = deque(maxlen=40)

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            tail.append(line)
            at = line.find('{"soak"')  # a log line may share it (before or after)
            if echo and at >= 0:
                try:
                    decoded: object = json.JSONDecoder().raw_decode(line[at:])[0]
                    if not isinstance(decoded, dict) or not isinstance(decoded["soak"], dict):
                        continue
                    text = soaking.describe(decoded["soak"])
                except (ValueError, KeyError, TypeError):
                    continue  # a torn line: the final report lists every sample
                print(f"  {text}", flush=True)

    # Each pipe has one reader: communicate() would read stderr too and take samples
    # from the echo.
    out_parts: list[str] = []
    stdout = proc.stdout
    assert stdout is not None  # stdout=PIPE
    readers = [threading.Thread(target=pump, name="bench-stderr", daemon=True),
               threading.Thread(target=lambda: out_parts.append(stdout.read()),
                                name="bench-stdout", daemon=True)]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise CliError("bench journeys: the child did not finish in time") from None
    finally:
        for reader in readers:
            reader.join(5)
    out = "".join(out_parts)
    return proc.returncode, out, "".join(tail)


def run(args: argparse.Namespace) -> int:
    """Run the measurements in a child process; print figures; 1 if a target is missed."""
    sessions = getattr(args, "sessions", None) or getattr(args, "runs", None) or 1000
    load = bool(getattr(args, "load", False))
    as_json = bool(getattr(args, "json", False))
    cmd = [sys.executable, "-m", "kiosk.bench.journeys", "--sessions", str(sessions)]
    if getattr(args, "config", None):
        cmd += ["--config", str(args.config)]
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    # --load: one core kept busy by a plain CPU hog (an ordinary process at nice 0) for
    # the whole run, started and stopped here.
    hog = (subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
           if load else None)
    if not as_json:
        print(f"journeys: {sessions} sessions in the soak (samples as they come)", flush=True)
    try:
        code, out, err = _run_child(cmd, env, 120 + 2 * sessions, not as_json)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait(5)
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if code != 0 or not lines:
        raise CliError(f"bench journeys failed: {_one_line(err or out)}")
    try:
        fig = parse_child(lines[-1], JourneysFigures)
    except RuntimeError as exc:
        raise CliError(f"bench journeys: {exc}") from None
    fig["load"] = "one core kept busy by a CPU hog" if load else "none"
    ok = (fig["switch_ms"]["median"] < TARGET_SWITCH_MS
          and (not load or fig["switch_ms"]["p95"] <= TARGET_LOADED_SWITCH_P95_MS)
          and fig.get("card_to_cards_ms", {}).get("median", 0) < TARGET_CARD_TO_CARDS_MS
          and fig["soak_verdict"]["ok"])
    if as_json:
        print(json.dumps({"journeys": fig, "ok": ok}, ensure_ascii=False))
        return 0 if ok else 1
    _print(fig)
    return 0 if ok else 1


def _print(fig: JourneysFigures) -> None:
    s, r, v = fig["switch_ms"], fig["rss_mb"], fig["soak_verdict"]
    print(f"journeys (sandbox on loopback, niced; pcscd {fig['pcscd']}; load: {fig['load']}; "
          f"kiosk nice {fig['kiosk_nice']}, {fig['kiosk_nice_note']})")
    print(f"  screen switch (release → on screen) median {s['median']:6.1f} ms   p95 "
          f"{s['p95']:6.1f} ms   n={s['n']}   (target < {TARGET_SWITCH_MS:g} ms; "
          f"p95 ≤ {TARGET_LOADED_SWITCH_P95_MS:g} ms under load)")
    ph = s["phases_median"]
    print(f"    phases, median ms from release: screen current {ph['current']}, draw "
          f"started {ph['draw']}, swapped {ph['swap']}; GC {ph['gc']}")
    for p in s["slow"]:
        print(f"    slow (> {SLOW_MS:g} ms): current {p['current']}, draw {p['draw']}, "
              f"swapped {p['swap']}, GC {p['gc']}")
    if "card_to_cards_ms" in fig:
        c = fig["card_to_cards_ms"]
        print(f"  card inserted → cards shown   median {c['median']:6.1f} ms   p95 "
              f"{c['p95']:6.1f} ms   n={c['n']}   (target < {TARGET_CARD_TO_CARDS_MS:g} ms)")
    print(f"  soak of {r['sessions']} sessions after 200 warm-up ({r['session_ms']:.0f} ms a "
          f"session, frame cap lifted to {r['frame_cap_fps']:g} fps for the soak only): RSS "
          f"{r['before']:.1f} → {r['after']:.1f} MB ({r['growth']:+.1f} MB; target ≤ "
          f"{TARGET_RSS_GROWTH_MB:g} MB), every {r['every']}: {r['samples']}")
    for x in fig.get("soak", []):
        print(f"  {soaking.describe(x)}")
    print(f"  soak flat: {'yes' if v['ok'] else 'NO'}"
          + (f" (not flat: {', '.join(v['not_flat'])})" if v["not_flat"] else ""))


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
