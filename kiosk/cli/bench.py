"""``kiosk bench TOPIC``: print performance figures (start-up, cards, central, journeys)."""

from __future__ import annotations

import argparse
import importlib

from kiosk.cli.common import CliError, add_config_argument, at_least_one

TOPICS = ("startup", "cards", "central", "journeys", "speech", "diagnostics")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="measure start-up, card reads, central calls, journeys")
    parser.add_argument("topic", choices=[*TOPICS, "all"])
    parser.add_argument("--runs", type=at_least_one, default=None,
                        help="repetitions (topic default)")
    parser.add_argument("--json", action="store_true", help="machine-readable figures")
    add_config_argument(parser)
    parser.set_defaults(func=run)


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
