"""``kiosk diagnose``: run the technician checks headless, for people and for monitoring.

Output: one status line per part (or ``--json``: the stable document below), then the
overall status. Part names and summaries are in the configured ``kiosk.language`` (as
``read-card``'s), or ``--lang``; the marks, ``overall:`` and the JSON keys stay as they
are for scripts. ``--bundle DIR`` also writes a support bundle there. ``--list`` lists
the parts (for ``--part``) and what each one probes, and checks nothing.

Exit codes (stable, for remote monitoring):
    0  every part ok or warn
    1  at least one part failed (down)
    2  configuration error (settings or usage), nothing was checked
    3  only with ``--strict``: no part failed, but at least one warns
    4  the support bundle could not be written (``--bundle``)

JSON (schema 1)::

    {"schema": 1, "kiosk_version": "0.1.0", "terminal_id": "...", "started_at": "...",
     "duration_ms": 123.4, "status": "ok|warn|fail",
     "checks": [{"part": "readers", "status": "ok|warn|fail", "summary_key": "...",
                 "summary": "...", "duration_ms": 1.2, "details": {...}}, ...]}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Unpack

from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.config import Settings
from kiosk.domain.receipts import display_width
from kiosk.i18n import LANGUAGES, translate
from kiosk.logs import setup_logging
from kiosk.services.diagnostics import PARTS, CheckStatus, DiagnosticsContext, run_checks
from kiosk.services.diagnostics.bundle import BundleError, export_bundle
from kiosk.services.diagnostics.checks import PROBES

if TYPE_CHECKING:  # the parts load at the call (below)
    from kiosk.composition.diagnostics import GivenParts

EXIT_OK, EXIT_FAIL, EXIT_CONFIG, EXIT_WARN_STRICT, EXIT_BUNDLE = 0, 1, 2, 3, 4
_MARK = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("diagnose", help="check every part of the terminal (headless)",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the JSON document")
    parser.add_argument("--part", action="append", choices=PARTS, metavar="PART",
                        help=f"check only this part (repeatable): {', '.join(PARTS)}")
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of the part names and summaries (default: the "
                             "configured kiosk.language, as read-card)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 3 when a part warns (and none fails)")
    parser.add_argument("--bundle", metavar="DIR",
                        help="also write a support bundle (.tar.gz) into DIR")
    parser.add_argument("--list", action="store_true",
                        help="list the parts and what each one probes, check nothing")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def diagnostics_context(settings: Settings, **given: Unpack[GivenParts]) -> DiagnosticsContext:
    """A headless diagnostics context from the composition root
    (:func:`kiosk.composition.diagnostics.diagnostics_context`: the real probes, the parts
    in ``given`` — card_hub, printer, speaker, central, outbox, secrets, qr_scanner — and
    short-lived ones for the rest)."""
    # lazy: the parts load pyscard, pyserial, requests and pydantic,
    # which every other `kiosk` command would otherwise pay for at start (~0.5 s).
    from kiosk.composition.diagnostics import diagnostics_context as headless

    return headless(settings, **given)


def exit_code(status: CheckStatus, strict: bool) -> int:
    if status is CheckStatus.FAIL:
        return EXIT_FAIL
    if status is CheckStatus.WARN and strict:
        return EXIT_WARN_STRICT
    return EXIT_OK


def list_parts(as_json: bool, lang: str) -> int:
    """Print each part, its name in ``lang`` and what it probes (nothing is checked)."""
    rows = [{"part": p, "name": translate(f"diagnostics.part.{p}", lang), "probe": PROBES[p]}
            for p in PARTS]
    if as_json:
        print(json.dumps({"parts": rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = max(len(p) for p in PARTS)
    for row in rows:
        print(f"{row['part']:{width}s}  {row['probe']}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    args.lang = args.lang or settings.kiosk.language
    if args.list:
        return list_parts(args.json, args.lang)
    try:
        setup_logging(settings.log_dir)  # the run is logged (masked), not printed to stderr
    except OSError:
        pass  # e.g. a monitoring agent without write access to the kiosk's logs
    report = run_checks(diagnostics_context(settings), args.part)
    if args.json:
        print(json.dumps(report.to_dict(args.lang), ensure_ascii=False, indent=2))
    else:
        names = {p: translate(f"diagnostics.part.{p}", args.lang) for p in PARTS}
        width = max(display_width(n) for n in names.values())
        for r in report.results:
            pad = " " * (width - display_width(names[r.part]))
            print(f"{_MARK[r.status.value]}  {names[r.part]}{pad}  {r.summary(args.lang)}")
        print(f"overall: {report.status.value} ({report.duration_ms:.0f} ms)")
    if args.bundle:
        try:
            path = export_bundle(settings, args.bundle, report)
        except BundleError as exc:
            raise CliError(str(exc), EXIT_BUNDLE) from None
        print(f"bundle: {path}", file=sys.stderr if args.json else sys.stdout)
    return exit_code(report.status, args.strict)
