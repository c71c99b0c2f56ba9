"""The kiosk's graphical session: an X server, an out-of-service background, the app.

``python -m kiosk.system.session [--xorg-config NAME | --xvfb] [-- kiosk run options]``
is what ``kiosk.service`` starts (see docs/deploying.md):

1. a bare X server, no window manager, no desktop: ``Xorg -config NAME -nolisten tcp
   -noreset`` (DontZap, DontVTSwitch in the config), or Xvfb for tests;
2. the root window painted once with "temporarily out of service — call <hotline>" in
   both languages. The kiosk's window covers it; whenever no kiosk window is mapped (a
   crash, the crash guard giving up, a restart) the cardholder sees that message at
   once, with nothing left for a dying process to draw;
3. ``kiosk run`` in a loop: when it exits for any reason but a stop of the session it
   starts again at once; quick repeated crashes back off (1, 2, 4 … 30 s).

In production the runner first runs the production start checks (kiosk/production.py):
a terminal they refuse (not provisioned, say) gets no app, but the out-of-service screen
with the refusal on one line at the bottom, the same line in the journal, and READY=1.

Under systemd the runner gives up (exit 1) so that the crash-loop rollback
(kiosk/deploy/bootcount.py) sees the failure: after MAX_UNDRAWN_STARTS starts that never
drew, and, while the current release is on trial after an upgrade, after TRIAL_CRASHES
abnormal ends within TRIAL_WINDOW_S even if it drew. A trusted release is never given up.

The app's READY=1 / WATCHDOG=1 reach systemd through this runner, the service's main
PID (``NotifyAccess=main``, :class:`kiosk.system.notify.NotifyRelay`); systemd's
``WATCHDOG_PID`` names this runner, so it is not passed on to the app.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.config import Settings, load_settings
from kiosk.deploy.bootcount import on_trial
from kiosk.deploy.layout import Layout
from kiosk.i18n import LANGUAGES, translate
from kiosk.logs import get_logger
from kiosk.production import ProductionError, check_production
from kiosk.system.displayfd import DisplayFdError, start_x_server
from kiosk.system.notify import Notifier, NotifyRelay
from kiosk.system.processes import stop_process
from kiosk.ui import fonts
from kiosk.ui.xvfb import Xvfb, XvfbError

log = get_logger("kiosk.system.session")
X_START_TIMEOUT_S = 15.0
QUICK_EXIT_S = 30.0       # an app that dies sooner than this counts as a quick crash
MAX_BACKOFF_S = 30.0
# Under systemd: after this many app starts in a row that never drew (no READY=1), the
# runner exits 1, so systemd restarts the service and the crash-loop rollback
# (kiosk/deploy/bootcount.py) counts the start; retrying here forever it never would.
MAX_UNDRAWN_STARTS = 3
# On trial (bootcount.on_trial), this many abnormal ends within the window exit 1 too: a
# release that draws and then keeps crashing must reach bootcount (PROBATION_MAX_STARTS
# runner exits within PROBATION_S roll it back); 3 in 2 min is a loop, not bad luck.
TRIAL_CRASHES = 3
TRIAL_WINDOW_S = 120.0
# Only an app that died this soon after its start waits before the next one (a crash at
# start-up must not spin); any later end restarts at once, so a cardholder waits least.
START_UP_CRASH_S = 2.0


def restart_delay(ran: float, backoff: float) -> tuple[float, float]:
    """``(next back-off, wait now)`` after an app that ran ``ran`` seconds.

    The back-off grows 1, 2, 4 … MAX_BACKOFF_S while the app keeps ending within
    QUICK_EXIT_S and is forgotten after a longer run; it is waited only after a start-up
    crash (under START_UP_CRASH_S). The journal line states the wait, not the back-off
    (it said "restarting after 8 s" and restarted at once)."""
    backoff = 0.0 if ran > QUICK_EXIT_S else min(MAX_BACKOFF_S, max(1.0, backoff * 2))
    return backoff, (backoff if ran < START_UP_CRASH_S else 0.0)


def helper_env() -> dict[str, str]:
    """Environment for the X server and tools: without systemd's notify variables (Xorg
    itself would send READY=1 long before the kiosk has drawn anything)."""
    return {k: v for k, v in os.environ.items()
            if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}


class SessionError(RuntimeError):
    """The session could not start (no X server); one line."""


def out_of_service_text(settings: Settings) -> str:
    """The message, in every language, hotline filled in."""
    hotline = settings.region.hotline
    return "\n\n".join(translate("system.out_of_service", lang, hotline=hotline)
                       for lang in LANGUAGES)


def technician_note(reason: str) -> str:
    """The one line under the message that says why (a refused start), labelled in
    every language; the reason itself is the operator's line, as in the journal."""
    label = " / ".join(translate("system.technician_note", lang) for lang in LANGUAGES)
    return f"{label}: {reason}"


def render_out_of_service(settings: Settings, path: Path, reason: str | None = None) -> Path:
    """A full-screen PNG of the out-of-service message (ImageMagick, the kiosk's font),
    with ``reason`` on one line at the bottom when the runner refused to start the app."""
    w, h = settings.display.width, settings.display.height
    cmd = ["convert", "-size", f"{w}x{h}", "xc:#1b2838", "-fill", "white",
           "-font", str(fonts.font_path("Regular")), "-pointsize", str(max(24, h // 22)),
           "-gravity", "center", "-annotate", "+0+0", out_of_service_text(settings)]
    if reason:
        cmd += ["-pointsize", str(max(14, h // 48)), "-gravity", "south",
                "-annotate", f"+0+{h // 20}", technician_note(reason)]
    cmd.append(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(cmd, check=True, capture_output=True, timeout=30, env=helper_env())
    return path


def paint_root(display: str, image: Path) -> None:
    """Set the root window's background (stays when every client is gone)."""
    # No check=True: ImageMagick's display exits 1 after painting the root window.
    subprocess.run(["display", "-display", display, "-window", "root", str(image)],
                   capture_output=True, timeout=30, env=helper_env())


def add_cookie(authority: Path, display: str, cookie: str) -> None:
    """Write an MIT-MAGIC-COOKIE-1 entry for ``display`` into ``authority`` (xauth)."""
    subprocess.run(["xauth", "-q", "-f", str(authority), "add", display,
                    "MIT-MAGIC-COOKIE-1", cookie], check=True, capture_output=True,
                   timeout=10, env=helper_env())


class XServer:
    """Xorg with the kiosk's config (``-displayfd``: it picks a free display).

    With a cookie: without ``-auth`` any local process of any user could connect (the
    abstract socket is outside the service's PrivateTmp), read the screen and type into
    the kiosk. The server reads the cookie from ``<dir>/Xserver.auth`` (it ignores the
    display number there); clients find it in :attr:`xauthority` (``XAUTHORITY``)."""

    def __init__(self, config: str, log_file: Path, vt: int = 0) -> None:
        exe = shutil.which("Xorg")
        if exe is None:
            raise SessionError("Xorg is not installed (xserver-xorg-core)")
        cookie = secrets.token_hex(16)
        server_auth = log_file.parent / "Xserver.auth"
        self.xauthority = log_file.parent / "Xauthority"
        for stale in (server_auth, self.xauthority):
            stale.unlink(missing_ok=True)
        try:
            add_cookie(server_auth, ":0", cookie)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SessionError(f"no X cookie ({type(exc).__name__}): is xauth installed?"
                               ) from None
        try:
            self.proc, self.display = start_x_server(
                lambda fd: [
                    exe, "-displayfd", str(fd), "-auth", str(server_auth), "-config", config,
                    "-nolisten", "tcp", "-noreset", "-novtswitch", "-logfile", str(log_file),
                    "-extension", "GLX",
                    # On a console: the service's own VT (TTYPath=), kept as the controlling tty.
                    *([f"vt{vt}", "-keeptty"] if vt else [])],
                X_START_TIMEOUT_S, env=helper_env())
        except DisplayFdError as exc:
            raise SessionError(exc.describe("Xorg", f"see {log_file}")) from None
        try:
            add_cookie(self.xauthority, self.display, cookie)
        except (OSError, subprocess.SubprocessError) as exc:
            self.stop()
            raise SessionError(f"no X cookie for the clients ({type(exc).__name__})") from None

    def stop(self) -> None:
        stop_process(self.proc)


class Session:
    """Runs the app on ``display`` until :meth:`stop`, restarting it whenever it ends."""

    def __init__(self, display: str, app_args: list[str], *, egl: bool,
                 relay: NotifyRelay | None = None, layout: Layout | None = None,
                 app_command: list[str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.display, self.app_args = display, app_args
        # What runs the app (tests give a stand-in); then the `kiosk run` options.
        self.app_command = app_command or [sys.executable, "-m", "kiosk", "run"]
        self.sleep = sleep
        self.env = {k: v for k, v in os.environ.items() if k != "WATCHDOG_PID"}
        self.env["DISPLAY"] = display
        self.relay = relay
        self.layout = layout   # the install whose trial state applies (None: trusted)
        if relay is not None:  # the relay's socket, not systemd's
            self.env["NOTIFY_SOCKET"] = str(relay.path)
        if egl:  # the server runs without GLX (less memory): SDL must use EGL
            self.env["SDL_VIDEO_X11_FORCE_EGL"] = "1"
        self.app: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.starts = 0

    def hold_out_of_service(self, reason: str, upstream: Notifier) -> int:
        """Production refused this terminal (:func:`production_refusal`): no app, the
        out-of-service screen (painted with ``reason``) until the service is stopped.
        The service is up as far as systemd knows (READY=1, watchdog pings, the reason in
        STATUS=): restarting would not change the config, and giving up would leave a
        bare console."""
        print(f"kiosk-session: {reason}", file=sys.stderr, flush=True)   # the journal
        upstream.send("READY=1", f"STATUS=out of service: {reason}")
        ping = upstream.watchdog_seconds
        last = 0.0
        while not self.stopping:
            if ping and time.monotonic() - last >= ping:
                upstream.send("WATCHDOG=1")
                last = time.monotonic()
            time.sleep(0.2)   # a stop (SIGTERM) is seen within this
        upstream.send("STOPPING=1")
        return 0

    def stop(self, *_: object) -> None:
        self.stopping = True
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()

    def on_trial(self) -> bool:
        """Only under systemd (it restarts us): otherwise exiting would leave a bare
        console."""
        return self.relay is not None and self.layout is not None and on_trial(self.layout)

    def run(self) -> int:
        backoff, undrawn = 0.0, 0
        crashes: list[float] = []   # monotonic times of abnormal ends
        while not self.stopping:
            started = time.monotonic()
            self.starts += 1
            if self.relay is not None:
                self.relay.ready.clear()
            self.app = subprocess.Popen([*self.app_command, *self.app_args], env=self.env)
            print(f"kiosk-session: app started (pid {self.app.pid})", file=sys.stderr,
                  flush=True)
            code = self.app.wait()
            if self.stopping:
                break
            ran = time.monotonic() - started
            undrawn = 0 if self.relay is None or self.relay.ready.is_set() else undrawn + 1
            if undrawn >= MAX_UNDRAWN_STARTS:
                print(f"kiosk-session: the app ended {undrawn} times without drawing "
                      f"(last exit {code}): giving up", file=sys.stderr, flush=True)
                return 1
            if code != 0:
                crashes = [t for t in crashes if t > time.monotonic() - TRIAL_WINDOW_S]
                crashes.append(time.monotonic())
            trial = self.on_trial()
            if trial and code != 0 and len(crashes) >= TRIAL_CRASHES:
                print(f"kiosk-session: release on trial ended abnormally {len(crashes)} "
                      f"times in {TRIAL_WINDOW_S:.0f} s (last exit {code}): giving up "
                      "for the crash-loop rollback", file=sys.stderr, flush=True)
                return 1
            backoff, wait = restart_delay(ran, backoff)
            # To the journal, one line (the runner has no log file; exit codes only).
            print(f"kiosk-session: the app ended (exit {code}, ran {ran:.1f} s, "
                  f"{'on trial' if trial else 'trusted'}, {len(crashes)} abnormal ends in "
                  f"{TRIAL_WINDOW_S:.0f} s): "
                  + (f"restarting after {wait:.0f} s" if wait else "restarting now"),
                  file=sys.stderr, flush=True)
            if wait:
                self.sleep(wait)   # a crash at start-up: do not spin
        return 0


def production_refusal(settings: Settings, app_args: list[str]) -> str | None:
    """The production start check's one line (kiosk/production.py), or None: the runner
    shows it instead of starting an app that would only exit with it."""
    if settings.kiosk.demo or "--demo" in app_args:
        return None
    try:
        check_production(settings)
    except ProductionError as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-session", description=__doc__.splitlines()[0])
    parser.add_argument("--xorg-config", default="kiosk.conf",
                        help="Xorg config name (relative to /etc/X11 when not root)")
    parser.add_argument("--xvfb", action="store_true", help="Xvfb instead of Xorg (tests)")
    parser.add_argument("--vt", type=int, default=0, help="virtual terminal for Xorg (0: none)")
    parser.add_argument("--config", default=None, help="kiosk config file")
    parser.add_argument("--root", default="/",
                        help="install root whose release trial applies (tests: a scratch root)")
    parser.add_argument("app_args", nargs="*", help="options for `kiosk run` (after --)")
    args = parser.parse_args(argv)
    settings = load_settings(args.config)
    app_args = [*(["--config", args.config] if args.config else []), *args.app_args]
    run_dir = settings.data_dir / "session"
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        if args.xvfb:
            server: XServer | Xvfb = Xvfb(settings.display.width, settings.display.height)
        else:
            server = XServer(args.xorg_config, run_dir / "Xorg.log", args.vt)
    except (SessionError, XvfbError) as exc:
        print(f"kiosk-session: {exc}", file=sys.stderr)
        return 1
    if isinstance(server, XServer):  # the app and the helpers below need the cookie
        os.environ["XAUTHORITY"] = str(server.xauthority)
    upstream = Notifier()
    relay = NotifyRelay(upstream, run_dir / "notify") if upstream.enabled else None
    session = Session(server.display, app_args, egl=not args.xvfb,
                      relay=relay, layout=Layout(Path(args.root)))
    signal.signal(signal.SIGTERM, session.stop)
    signal.signal(signal.SIGINT, session.stop)
    try:
        refusal = production_refusal(settings, app_args)
        try:
            paint_root(server.display,
                       render_out_of_service(settings, run_dir / "oos.png", refusal))
        except (OSError, subprocess.SubprocessError) as exc:
            log.error("out-of-service background not painted", extra={"fields": {
                "error": type(exc).__name__}})
        print(f"kiosk-session: X on {server.display}", file=sys.stderr, flush=True)
        if refusal is not None:
            return session.hold_out_of_service(refusal, upstream)
        return session.run()
    finally:
        if relay is not None:
            relay.close()
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
