"""``kiosk tour --out DIR``: a PNG per screen state per language (the visual record).

Runs the real app under Xvfb (its own when ``DISPLAY`` is unset), in a temporary home of
its own with parts that reach nothing outside the process (:mod:`kiosk.cli.tour_home`:
no central, no heartbeat, no outbox sending, no configured data or log folder), and
steps through :func:`kiosk.ui.tour.plan`. Prints one line per file, then any layout
problems; exits 1 if a state failed to render or a layout problem was found.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.cli.tour_home import isolated_settings, sample_parts, write_sample_log
from kiosk.composition import build_app
from kiosk.i18n import LANGUAGES
from kiosk.storage import ensure_dir
from kiosk.ui import fonts
from kiosk.ui.xvfb import Xvfb, XvfbError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tour", help="screenshot every screen, in every language")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the PNGs go")
    parser.add_argument("--lang", action="append", choices=LANGUAGES,
                        help="only this language (repeatable; default all)")
    parser.add_argument("--screen", action="append", metavar="NAME",
                        help="only this screen (repeatable; 'app' = app-level states)")
    parser.add_argument("--size", default=None, metavar="WxH",
                        help="window size (default from settings.display), e.g. 1080x1920")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if not fonts.fonts_ready():
        raise CliError("the Chinese font is missing: run ./kiosk.sh setup")
    if args.size:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise CliError(f"--size: expected WxH, got {args.size!r}") from None
        settings = replace(settings, display=replace(settings.display, width=w, height=h))
    out = Path(args.out)
    # Checked before the window starts: a bad --out is one line, not a traceback at the end.
    ensure_dir(out, "the tour output directory")
    xvfb = None
    if not os.environ.get("DISPLAY"):
        size = max(settings.display.width, settings.display.height)
        try:
            xvfb = Xvfb(size, size)
        except XvfbError as exc:
            raise CliError(f"tour: {exc}") from None
        os.environ["DISPLAY"] = xvfb.display
    try:
        with tempfile.TemporaryDirectory(prefix="kiosk-tour-") as home:
            # A home of its own: no configured data, logs, secrets, central or fleet
            # (kiosk/cli/tour_home.py); demo secrets there, so the PIN pad can be shown.
            settings = isolated_settings(settings, Path(home))
            write_sample_log(settings.log_dir)
            app = build_app(settings, kivy_home=Path(home) / "kivy", console_log=False,
                            **sample_parts())
            app.samples_only = True   # sample states only: no live check replaces them
            app.compose()
            from kiosk.ui.driver import AppDriver  # lazy: Kivy, after build_app
            from kiosk.ui.tour import plan, run_tour  # lazy: as above

            driver = AppDriver(app)
            try:
                shots = plan(app, tuple(args.lang or LANGUAGES), args.screen)
                results = run_tour(driver, out, shots)
            finally:
                driver.stop()
    finally:
        if xvfb is not None:
            xvfb.stop()
    bad = 0
    for name, problems in results.items():
        print(out / name)
        for p in problems:
            print(f"  problem: {p}")
            bad += 1
    (out / "tour.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"tour: {len(results)} screenshots in {out}, {bad} problem(s)")
    return 1 if bad else 0
