"""``kiosk run [--demo] [--headless] [--config PATH]``: start the kiosk window.

Settings are loaded and checked first (a bad config or secrets file is one line and
exit 2, from ``kiosk.cli.main``), logging is set up, then the fullscreen Kivy app
starts: the composition root builds it (:func:`kiosk.composition.build_app`), and the
parts after its first frame (:func:`kiosk.composition.parts.build_kiosk`).
With no display (``DISPLAY`` unset) it stops with one line, unless
``--headless``: then it starts its own Xvfb. Demo mode (``--demo`` or
``kiosk.demo = true``) calls ``kiosk.demo.start_demo_services(settings)`` when that
module exists; the services it started are stopped at exit.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.composition import build_app
from kiosk.config import Settings
from kiosk.demo import DemoServices, join_running_demo
from kiosk.fleet.overlay import boot_settings
from kiosk.logs import error_fields, get_logger, setup_logging
from kiosk.production import settings_for_run
from kiosk.secrets import load_secrets
from kiosk.storage import ensure_dir
from kiosk.system.journal import log_to_journal
from kiosk.system.notify import attach_to_app
from kiosk.ui import fonts
from kiosk.ui.xvfb import Xvfb, XvfbError

log = get_logger("kiosk.cli.run")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="start the kiosk (fullscreen window)")
    parser.add_argument("--demo", action="store_true",
                        help="virtual cards and the local sandbox (also when kiosk.demo = true)")
    parser.add_argument("--headless", action="store_true",
                        help="no display: start a private Xvfb and run in it")
    parser.add_argument("--exit-after", type=float, default=None, help=argparse.SUPPRESS)
    add_config_argument(parser)
    parser.set_defaults(func=run)


def start_demo(settings: Settings) -> DemoServices | None:
    """The demo hook: ``kiosk.demo.start_demo_services(settings)`` if it exists yet."""
    try:
        from kiosk.demo import start_demo_services  # lazy: a build may leave the demo out
    except ModuleNotFoundError as exc:
        if exc.name != "kiosk.demo":
            raise
        log.info("demo services not available yet: shell only")
        return None
    return start_demo_services(settings)


def _stop(demo: DemoServices | None) -> None:
    if demo is None:
        return
    try:
        demo.stop()
    except Exception as exc:
        log.warning("demo services did not stop cleanly",
                    extra={"fields": error_fields(exc)})


def run(args: argparse.Namespace) -> int:
    settings_from(args)  # the local config first: its errors are one line
    # Then with the centre's config overlay, rolled back if the last start with it failed.
    settings = join_running_demo(boot_settings(getattr(args, "config", None))[0])
    settings = settings_for_run(settings, args.demo)  # production checks, or demo mode
    load_secrets(settings)  # a broken secrets file stops here, not half-way
    ensure_dir(settings.data_dir, "the data directory")  # the outbox lives there
    if not fonts.fonts_ready():
        raise CliError("the Chinese font is missing: run ./kiosk.sh setup "
                       "(python -m kiosk.ui.fonts)")
    setup_logging(settings.log_dir)
    log_to_journal()  # under systemd: the same JSON lines to journald
    xvfb = None
    if not os.environ.get("DISPLAY"):
        if not args.headless:
            raise CliError("no display: DISPLAY is not set. Run it in the kiosk's X session, "
                           "or add --headless to use a private Xvfb")
        try:
            xvfb = Xvfb(settings.display.width, settings.display.height)
        except XvfbError as exc:
            raise CliError(f"--headless: {exc}") from None
        os.environ["DISPLAY"] = xvfb.display
        print(f"kiosk: headless, on a private Xvfb at {xvfb.display}", file=sys.stderr)
    demo = None
    try:
        if args.demo or settings.kiosk.demo:
            demo = start_demo(settings)
        app = build_app(settings)  # the composition root; the parts after the first frame
        app.install_crash_guard()
        attach_to_app(app)  # systemd: READY=1 at the first frame, watchdog, STOPPING=1
        from kivy.clock import Clock  # lazy: Kivy, configured by build_app

        def leave(_dt: float = 0) -> None:
            app.allow_close = True
            app.stop()

        # SIGTERM (service stop, shutdown) leaves cleanly: demo parts stopped, logs closed.
        signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(leave, 0))
        if args.exit_after:
            Clock.schedule_once(leave, args.exit_after)
        log.info("kiosk start", extra={"fields": {"demo": demo is not None,
                                                  "site": settings.kiosk.site}})
        app.run()
        log.info("kiosk stop")
    finally:
        _stop(demo)
        if xvfb is not None:
            xvfb.stop()
    return 0
