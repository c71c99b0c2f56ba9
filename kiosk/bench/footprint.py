"""``kiosk bench footprint [--json]``: the kiosk's memory next to a bare Kivy window's,
and its idle CPU, in one run on one Xvfb display.

1. A bare Kivy window: one label in the kiosk's CJK font at the title size, configured
   like the kiosk's window (``configure_kivy``), in its own process.
2. The same bare window with the libraries the kiosk is required to use already imported
   (:data:`REQUIRED_LIBS`: requests for the central service, pyscard for the readers,
   sqlite3 for the outbox): the floor no kiosk built on them can go below.
3. The kiosk in production mode on its start screen, in its own process, on the parts
   ``kiosk run`` builds, with the central service on loopback in another process (the
   sandbox: its web stack must not be in the kiosk's process — checked in sys.modules).

Each is left to settle (the kiosk until its screens are built plus a few seconds), then
its PSS is summed over the process and its children from ``/proc/PID/smaps_rollup``
(Xvfb excluded); then the kiosk's CPU time (all threads) over :data:`IDLE_MEASURE_S` of
wall time is its idle CPU, as % of one core. JSON keys: ``kiosk_pss_mib``,
``bare_kivy_pss_mib``, ``ratio``, ``idle_cpu_pct``, ``floor_pss_mib``, ``floor_ratio``
(the floor over the bare window) (plus details).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from typing_extensions import TypedDict  # pydantic validates these on 3.11

from kiosk.bench.figures import parse_child
from kiosk.bench.production_env import production_env
from kiosk.config import load_settings
from kiosk.system.processes import stop_process
from kiosk.ui.kivy_env import configure_kivy

TARGET_RATIO = 1.10
TARGET_IDLE_CPU_PCT = 0.5
SETTLE_S = 5.0
# Shortened only by the smoke test of this command (the figure needs the full 20 s).
IDLE_MEASURE_S = float(os.environ.get("KIOSK_BENCH_IDLE_SECONDS", "20"))
WEB_STACK = ("fastapi", "uvicorn", "starlette", "kiosk.central.sandbox")
# Loaded at first use, never by the start screen (printing, sealing, support bundle, tests).
LAZY = ("escpos", "qrcode", "barcode", "cryptography", "hypothesis", "tarfile")
FONT_SUFFIXES = (".otf", ".ttf", ".ttc")
# What the product is built on and the kiosk cannot leave out (HTTP to the central
# service, PC/SC, the durable outbox): the floor's extra imports.
REQUIRED_LIBS = ("requests", "smartcard.System", "smartcard.CardConnection", "sqlite3")


def smaps_rollup_kb(pid: int) -> dict[str, int]:
    """``/proc/PID/smaps_rollup`` as field → kB (empty when the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if sep and rest.split() and rest.split()[0].isdigit():
            out[key] = int(rest.split()[0])
    return out


def pss_mib(pid: int, field: str = "Pss") -> float:
    """PSS of ``pid`` and its descendants, MiB (processes gone meanwhile count 0);
    ``field="Pss_Anon"``: its anonymous part only (heap, stacks, Python's arenas, GL
    buffers: steadier than the shared libraries' share, which other processes move)."""
    return sum(smaps_rollup_kb(p).get(field, 0) for p in [pid, *_descendants(pid)]) / 1024


def open_font_files() -> int:
    """Font files this process holds open: SDL_ttf keeps one per face (file, size,
    weight), and each face of the CJK font costs ~2.5 MiB."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").endswith(FONT_SUFFIXES)
        except OSError:
            continue
    return count


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for k in map(int, kids):
        out += [k, *_descendants(k)]
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` (all its threads), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the sandbox did not listen on port {port} within {timeout:g} s")


# A process this bench started: a measured window (text output) or the sandbox.
Running = subprocess.Popen[str] | subprocess.Popen[bytes]


class ChildInfo(TypedDict, total=False):
    """A measured window's one JSON line: the bare window's label font and the kiosk
    modules it loaded, or the kiosk's screen, demo mode, web stack, modules loaded at
    start that should wait and its config overlay; both the font faces open."""

    font_size: float
    font_faces: int
    kiosk_modules: list[str]
    screen: str | None
    demo: bool
    web_stack: list[str]
    lazy_loaded: list[str]
    overlay_built: bool


class FootprintFigures(TypedDict):
    """The figures of ``kiosk bench footprint``."""

    kiosk_pss_mib: float
    bare_kivy_pss_mib: float
    ratio: float | None
    idle_cpu_pct: float
    floor_pss_mib: float
    floor_ratio: float | None
    floor_libs: list[str]
    idle_measured_s: float
    kiosk_screen: str | None
    kiosk_demo: bool | None
    web_stack_in_kiosk: list[str]
    kiosk_pss_anon_mib: float
    bare_kivy_pss_anon_mib: float
    kiosk_font_faces: int | None
    bare_kivy_font_faces: int | None
    bare_kivy_kiosk_modules: list[str]
    kiosk_lazy_loaded: list[str]
    kiosk_overlay_built: bool | None
    bare_label_font_size: float | None
    goals: dict[str, float]


def _wait_ready(proc: subprocess.Popen[str], timeout: float) -> ChildInfo:
    """The child's one JSON line on stdout (it prints it once settled)."""
    out = proc.stdout
    assert out is not None  # stdout=PIPE
    sel = selectors.DefaultSelector()
    sel.register(out, selectors.EVENT_READ)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"bench child exited early (exit {proc.returncode})")
        if sel.select(timeout=0.5):
            line = out.readline()
            if line.startswith("{"):
                return parse_child(line, ChildInfo)
    raise RuntimeError(f"bench child not ready within {timeout:g} s")


def _spawn(role: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "kiosk.bench.footprint", "--child", role],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)


def _measure_window(role: str, env: dict[str, str],
                    procs: list[Running]) -> tuple[ChildInfo, float, float]:
    """Start a bare (or floor) window, let it settle, read its PSS and anonymous PSS,
    stop it: (its JSON line, PSS MiB, anonymous PSS MiB)."""
    proc = _spawn(role, env)
    procs.append(proc)
    info = _wait_ready(proc, 60)
    pss, anon = pss_mib(proc.pid), pss_mib(proc.pid, "Pss_Anon")
    stop_process(proc, 10)
    return info, pss, anon


def run(args: argparse.Namespace) -> int:
    """Print the figures (``--json``: one JSON object); 1 if a goal is missed."""
    # lazy: the CLI's helpers (they bring the demo) and the X server helper stay out of
    # the measured children, which import this module too
    from kiosk.cli.common import CliError, settings_from
    from kiosk.ui.xvfb import Xvfb, XvfbError

    settings = settings_from(args)
    try:
        xvfb = Xvfb(settings.display.width, settings.display.height)
    except XvfbError as exc:
        raise CliError(f"bench footprint: {exc}") from None
    procs: list[Running] = []
    try:
        with tempfile.TemporaryDirectory(prefix="kiosk-footprint-") as tmp:
            home = Path(tmp)
            port = _free_port()
            env = dict(production_env(home, port), DISPLAY=xvfb.display)
            sandbox = subprocess.Popen(
                [sys.executable, "-m", "kiosk", "sandbox", "--port", str(port),
                 "--db", str(home / "sandbox.db")],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(sandbox)
            _wait_port(port, 30)
            bare_info, bare_pss, bare_anon = _measure_window("bare", env, procs)
            _, floor_pss, _ = _measure_window("floor", env, procs)
            kiosk = _spawn("kiosk", env)
            procs.append(kiosk)
            info = _wait_ready(kiosk, 120)
            kiosk_pss = pss_mib(kiosk.pid)
            kiosk_anon = pss_mib(kiosk.pid, "Pss_Anon")
            c0, w0 = cpu_seconds(kiosk.pid), time.monotonic()
            time.sleep(IDLE_MEASURE_S)
            idle = 100 * (cpu_seconds(kiosk.pid) - c0) / (time.monotonic() - w0)
    except (RuntimeError, OSError) as exc:
        raise CliError(f"bench footprint: {exc}") from None
    finally:
        for p in reversed(procs):
            stop_process(p, 10)
        xvfb.stop()
    figures: FootprintFigures = {
        "kiosk_pss_mib": round(kiosk_pss, 1),
        "bare_kivy_pss_mib": round(bare_pss, 1),
        "ratio": round(kiosk_pss / bare_pss, 3) if bare_pss else None,
        "idle_cpu_pct": round(idle, 2),
        "floor_pss_mib": round(floor_pss, 1),
        "floor_ratio": round(floor_pss / bare_pss, 3) if bare_pss else None,
        "floor_libs": list(REQUIRED_LIBS),
        "idle_measured_s": IDLE_MEASURE_S,
        "kiosk_screen": info.get("screen"),
        "kiosk_demo": info.get("demo"),
        "web_stack_in_kiosk": info.get("web_stack", []),
        "kiosk_pss_anon_mib": round(kiosk_anon, 1),
        "bare_kivy_pss_anon_mib": round(bare_anon, 1),
        "kiosk_font_faces": info.get("font_faces"),
        "bare_kivy_font_faces": bare_info.get("font_faces"),
        "bare_kivy_kiosk_modules": bare_info.get("kiosk_modules", []),
        "kiosk_lazy_loaded": info.get("lazy_loaded", []),
        "kiosk_overlay_built": info.get("overlay_built"),
        "bare_label_font_size": bare_info.get("font_size"),
        "goals": {"ratio": TARGET_RATIO, "idle_cpu_pct": TARGET_IDLE_CPU_PCT},
    }
    ratio = figures["ratio"]
    ok = bool(ratio is not None and ratio <= TARGET_RATIO
              and idle <= TARGET_IDLE_CPU_PCT and not figures["web_stack_in_kiosk"])
    if getattr(args, "json", False):
        print(json.dumps(figures))
    else:
        print(f"footprint: kiosk PSS {kiosk_pss:.1f} MiB (production, screen "
              f"{figures['kiosk_screen']}), bare Kivy window {bare_pss:.1f} MiB, ratio "
              f"{figures['ratio']} (goal ≤ {TARGET_RATIO:g})")
        print(f"footprint: floor (the bare window with {', '.join(REQUIRED_LIBS)} imported) "
              f"{floor_pss:.1f} MiB, {figures['floor_ratio']}× the bare window")
        print(f"footprint: kiosk idle CPU {idle:.2f} % of one core over {IDLE_MEASURE_S:g} s "
              f"(goal ≤ {TARGET_IDLE_CPU_PCT:g} %); web stack in the kiosk process: "
              f"{figures['web_stack_in_kiosk'] or 'none'}")
        print(f"footprint: anonymous PSS kiosk {kiosk_anon:.1f} MiB, bare {bare_anon:.1f} MiB; "
              f"font faces open {figures['kiosk_font_faces']} vs "
              f"{figures['bare_kivy_font_faces']}; loaded at start that should wait: "
              f"{figures['kiosk_lazy_loaded'] or 'none'}")
    return 0 if ok else 1


def _child(role: str) -> int:
    """Inside a measured process: show the window, settle, print one JSON line, wait."""
    settings = load_settings(None)
    home = Path(os.environ["KIOSK_BENCH_HOME"])
    result: ChildInfo = {}
    if role == "floor":
        for name in REQUIRED_LIBS:
            importlib.import_module(name)
        role = "bare"
    if role == "bare":
        configure_kivy(settings, kivy_home=home, console_log=False)
        # lazy: Kivy only after configure_kivy, as the kiosk does
        from kivy.app import App
        from kivy.clock import Clock
        from kivy.uix.label import Label

        # The same face registered the same way, and nothing else of the kiosk's UI.
        from kiosk.ui.fonts import register_fonts
        from kiosk.ui.theme import Metrics, ui_scale_for

        size = Metrics().scaled(ui_scale_for(settings.display.width,
                                             settings.display.height), 1.0).font_title
        result["font_size"] = size

        class Bare(App):
            def build(self) -> Label:
                register_fonts()
                return Label(text="社会保障卡自助服务", font_size=size)

            def on_start(self) -> None:
                def settled(_dt: float) -> None:
                    result["font_faces"] = open_font_files()
                    result["kiosk_modules"] = sorted(m for m in sys.modules
                                                     if m.startswith("kiosk"))
                    print(json.dumps(result), flush=True)

                Clock.schedule_once(settled, SETTLE_S)

        Bare().run()
        return 0
    # lazy: the kiosk's UI only in the kiosk's child, never in the bare window
    from kiosk.composition import build_app

    app = build_app(settings, kivy_home=home, console_log=False)
    from kivy.clock import Clock as KClock  # Kivy is configured by build_app

    def settled(_dt: float) -> None:
        result["screen"] = app.sm.current if app.sm is not None else None
        result["demo"] = settings.kiosk.demo
        result["web_stack"] = sorted(m for m in sys.modules if m.split(".")[0] in WEB_STACK
                                     or m.startswith("kiosk.central.sandbox"))
        result["lazy_loaded"] = sorted({m.split(".")[0] for m in sys.modules} & set(LAZY))
        result["font_faces"] = open_font_files()
        result["overlay_built"] = app.idle.built_overlay is not None
        print(json.dumps(result), flush=True)

    def ready(*_: object) -> None:
        KClock.schedule_once(settled, SETTLE_S)

    app.bind(screens_ready=lambda *_: ready())
    app.run()
    return 0


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="child of kiosk bench footprint")
    parser.add_argument("--child", choices=["bare", "floor", "kiosk"], required=True)
    return _child(parser.parse_args(argv).child)


if __name__ == "__main__":
    raise SystemExit(_main())
