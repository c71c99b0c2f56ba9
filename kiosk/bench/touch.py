"""``kiosk bench touch [--json]``: touch latency with the idle governor, for real.

The kiosk runs its own loop (``App.run``, production mode, the parts ``kiosk run``
builds, the central service on loopback in another process) in a child process on a
private Xvfb. This process clicks a start-screen button with ``xdotool`` (a real X
event, through SDL like a touch screen's) and notes ``time.monotonic()`` just before;
the child notes the touch down and up and the first buffer swap after the new screen
is current, on the same clock (CLOCK_MONOTONIC is system-wide on Linux), and writes
them to a file (times only, no personal data). Two kinds of touch, alternating:

- **idle**: after the kiosk has been still longer than the governor's idle delay
  (kiosk/ui/idle.py: the loop then wakes a few times a second);
- **active**: right after another touch (the loop at its full frame rate).

Figures: median and p95 of click → new screen on screen, and of click → touch down.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from typing_extensions import TypedDict  # pydantic validates these on 3.11

from kiosk.bench.bench_sandbox import start_sandbox
from kiosk.bench.figures import parse_child
from kiosk.bench.production_env import production_env
from kiosk.cli.common import CliError
from kiosk.system.processes import stop_process

if TYPE_CHECKING:  # Kivy: only the child process loads it
    from kivy.uix.screenmanager import ScreenManager

BUTTON_KEY = "attract.guide"      # a start-screen button whose screen needs no card
TARGET_SCREEN = "guide"
STILL_S = 4.5                     # > the governor's 3 s idle delay + its 1 s check
HOME_AFTER_S = 0.3                # the child goes back to the start screen after a switch
RECORD_TIMEOUT_S = 15.0


class Record(TypedDict, total=False):
    """One line the child writes: "ready" (button, idle_fps), "home" (swap) or
    "switch" (down, swap, still); times on CLOCK_MONOTONIC."""

    kind: str
    button: list[int]
    idle_fps: float
    swap: float
    down: float
    still: float


class ModeFigures(TypedDict):
    """One kind of touch (idle or active): medians and p95s, runs, stillness before."""

    to_screen_ms: dict[str, float]
    to_down_ms: dict[str, float]
    down_to_screen_ms: dict[str, float]
    n: int
    still_before_s: dict[str, float]


class TouchFigures(TypedDict, total=False):
    """The figures of ``kiosk bench touch`` (the last two added by :func:`run`)."""

    idle_fps: float
    idle: ModeFigures
    active: ModeFigures
    idle_minus_active_ms: float
    limit_ms: float


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


class _Records:
    """The child's JSON lines, read as they come."""

    def __init__(self, path: Path, child: subprocess.Popen[bytes]) -> None:
        self.path, self.child, self.seen = path, child, 0

    def next(self, kind: str, timeout: float = RECORD_TIMEOUT_S) -> Record:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            lines = self.path.read_text(encoding="utf-8").splitlines() \
                if self.path.exists() else []
            for line in lines[self.seen:]:
                self.seen += 1
                rec = parse_child(line, Record)
                if rec.get("kind") == kind:
                    return rec
            if self.child.poll() is not None:
                raise RuntimeError(f"the kiosk exited (code {self.child.returncode})")
            time.sleep(0.005)
        raise RuntimeError(f"no {kind!r} record from the kiosk within {timeout:g} s")


def _xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                   check=True, timeout=10, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 1), "p95": round(_p95(values), 1)}


def _mode(rows: list[dict[str, float]]) -> ModeFigures:
    return ModeFigures(
        to_screen_ms=_spread([r["to_screen_ms"] for r in rows]),
        to_down_ms=_spread([r["to_down_ms"] for r in rows]),
        down_to_screen_ms=_spread([r["down_to_screen_ms"] for r in rows]),
        n=len(rows),
        still_before_s={"min": round(min(r["still_s"] for r in rows), 2),
                        "max": round(max(r["still_s"] for r in rows), 2)})


def measure(runs: int) -> TouchFigures:
    """Start Xvfb, the sandbox and the kiosk; click ``runs`` idle and ``runs`` active
    touches; return the figures."""
    from kiosk.ui.xvfb import Xvfb  # lazy: Xlib-free, but only this command needs it

    samples: dict[str, list[dict[str, float]]] = {"idle": [], "active": []}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-touch-") as tmp, \
            Xvfb(1920, 1080) as xvfb:
        home = Path(tmp)
        env = production_env(home, 0)
        settings = {k: v for k, v in env.items() if k.startswith("KIOSK__")}
        sandbox, url = start_sandbox(settings, None, home)
        out = home / "touch.jsonl"
        env.update(DISPLAY=xvfb.display, KIOSK__CENTRAL__BASE_URL=url)
        child = subprocess.Popen([sys.executable, "-m", "kiosk.bench.touch", "--child",
                                  str(out)], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            records = _Records(out, child)
            ready = records.next("ready", 120)
            idle_fps = ready["idle_fps"]
            x, y = ready["button"]
            _xdotool(xvfb.display, "mousemove", str(x), str(y))  # once: no motion later
            for _ in range(runs):
                for mode in ("idle", "active"):
                    records.next("home")
                    time.sleep(STILL_S if mode == "idle" else 0.05)
                    t_click = time.monotonic()
                    _xdotool(xvfb.display, "click", "1")
                    rec = records.next("switch")
                    samples[mode].append({
                        "to_screen_ms": (rec["swap"] - t_click) * 1000,
                        "to_down_ms": (rec["down"] - t_click) * 1000,
                        "down_to_screen_ms": (rec["swap"] - rec["down"]) * 1000,
                        "still_s": rec["still"]})
        finally:
            stop_process(child, 10)
            stop_process(sandbox, 10)
    return TouchFigures(idle_fps=idle_fps, idle=_mode(samples["idle"]),
                        active=_mode(samples["active"]))


def run(args: argparse.Namespace) -> int:
    """Print the figures; 1 if idle touches are slower than active ones by more than
    one idle frame (median)."""
    runs = getattr(args, "runs", None) or 10
    if shutil.which("xdotool") is None:
        raise CliError("bench touch: xdotool is not installed (apt-get install xdotool)")
    try:
        fig = measure(runs)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        raise CliError(f"bench touch: {exc}") from None
    limit = 1000 / fig["idle_fps"]
    gap = fig["idle"]["to_screen_ms"]["median"] - fig["active"]["to_screen_ms"]["median"]
    fig["idle_minus_active_ms"] = round(gap, 1)
    fig["limit_ms"] = limit
    ok = gap <= limit
    if getattr(args, "json", False):
        print(json.dumps({"touch": fig, "ok": ok}))
        return 0 if ok else 1
    print(f"touch (production kiosk, App.run, private Xvfb, xdotool click on {BUTTON_KEY})")
    for mode, f in (("idle", fig["idle"]), ("active", fig["active"])):
        print(f"  {mode:6} n={f['n']:<3} click → new screen on screen median "
              f"{f['to_screen_ms']['median']:6.1f} ms  p95 {f['to_screen_ms']['p95']:6.1f} ms;"
              f"  click → touch down median {f['to_down_ms']['median']:6.1f} ms; "
              f"still before: {f['still_before_s']['min']}–{f['still_before_s']['max']} s")
    print(f"  idle − active (median) {gap:+.1f} ms (limit: one idle frame, {limit:g} ms)")
    return 0 if ok else 1


@dataclass
class _TouchState:
    """The child's notes between events: the last swap, a touch down and how still
    the kiosk was before it, the screen shown since the last swap ("" = none)."""

    last_swap: float
    down: float | None = None
    still: float = 0.0
    shown: str = ""


def _child(out: Path) -> int:
    """The kiosk, ``App.run``; writes ready / switch / home records to ``out``."""
    # lazy: only the child process configures and loads Kivy (build_app first)
    from kiosk.composition import build_app
    from kiosk.config import load_settings

    settings = load_settings(None)
    app = build_app(settings, console_log=False)
    from kivy.clock import Clock  # lazy: Kivy is configured by build_app
    from kivy.core.window import Window

    fh = out.open("a", encoding="utf-8")
    state = _TouchState(time.monotonic())

    def write(kind: str, **values: object) -> None:
        fh.write(json.dumps({"kind": kind, **values}) + "\n")
        fh.flush()

    def on_down(*_: object) -> None:
        now = time.monotonic()
        state.down, state.still = now, now - state.last_swap

    def on_screen(_sm: ScreenManager, name: str) -> None:
        state.shown = name

    swap = Window.flip

    def flip() -> None:
        swap()
        now = state.last_swap = time.monotonic()
        name, state.shown = state.shown, ""
        if name == TARGET_SCREEN and state.down is not None:
            write("switch", down=state.down, swap=now, still=state.still)
            state.down = None
            Clock.schedule_once(lambda _dt: app.go_home(), HOME_AFTER_S)
        elif name == "attract":
            write("home", swap=now)

    def ready(*_: object) -> None:
        button = next(w for w in app.root.walk(restrict=True)
                      if getattr(w, "key", None) == BUTTON_KEY)
        x, y = button.to_window(*button.center)
        Window.flip = flip
        Window.bind(on_touch_down=on_down)
        app.root.bind(current=on_screen)  # the screen manager (built by now)
        write("ready", button=[round(x), round(Window.height - y)],
              idle_fps=app.frame_rate.idle_fps)
        write("home", swap=time.monotonic())

    app.bind(screens_ready=lambda *_: Clock.schedule_once(ready, 1.0))
    app.run()
    return 0


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="child of kiosk bench touch")
    parser.add_argument("--child", type=Path, required=True, help="records file")
    return _child(parser.parse_args(argv).child)


if __name__ == "__main__":
    raise SystemExit(_main())
