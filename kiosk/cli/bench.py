"""``kiosk bench TOPIC``: print performance figures (start-up, cards, central, journeys),
or run the fuzzers for a while (``kiosk bench fuzz --seconds N``)."""

from __future__ import annotations

import argparse
import importlib

from kiosk.cli.common import CliError, add_config_argument, at_least_one

TOPICS = ("startup", "cards", "central", "journeys", "speech", "diagnostics")
EXTRA = ("fuzz", "footprint", "touch", "mutate")  # by name only, not by "all": fuzz runs
# as long as told; footprint and touch start their own Xvfb, sandbox and app processes;
# mutate (mutation testing, docs/testing.md) runs the tests once per mutant


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="measure start-up, card reads, central calls, journeys")
    parser.add_argument("topic", choices=[*TOPICS, *EXTRA, "all"])
    parser.add_argument("--runs", type=at_least_one, default=None,
                        help="repetitions (topic default)")
    parser.add_argument("--json", action="store_true", help="machine-readable figures")
    parser.add_argument("--sessions", type=at_least_one, default=None,
                        help="journeys: scripted sessions for the memory soak (1000)")
    parser.add_argument("--load", action="store_true",
                        help="journeys: keep one core busy with a CPU hog meanwhile")
    parser.add_argument("--seconds", type=positive_seconds, default=None,
                        help="fuzz: total time in seconds, split over the targets (60)")
    parser.add_argument("--target", action="append", default=None, metavar="TARGET",
                        help="fuzz: only this target (repeatable; see kiosk/bench/"
                             "fuzz_targets.py)")
    parser.add_argument("--module", action="append", default=None, metavar="PATH",
                        help="mutate: only this module (repeatable; see kiosk/bench/mutate.py)")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def positive_seconds(text: str) -> float:
    """A number of seconds > 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < 10**7:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    topics = TOPICS if args.topic == "all" else (args.topic,)
    worst = 0
    for topic in topics:
        try:
            module = importlib.import_module(f"kiosk.bench.{topic}")
        except ModuleNotFoundError as exc:
            raise CliError(f"bench {topic}: not available ({exc.name})") from None
        worst = max(worst, int(module.run(args) or 0))
    return worst
