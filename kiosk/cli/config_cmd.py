"""``kiosk config check|show``: validate and print the settings in effect (no secrets)."""

from __future__ import annotations

import argparse
import json

from kiosk.cli.common import add_config_argument, settings_from
from kiosk.secrets import load_secrets


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="check or show the configuration in effect")
    parser.add_argument("action", choices=["check", "show"])
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    load_secrets(settings)  # a bad secrets file is a config error too
    if args.action == "show":
        print(json.dumps({"sources": settings.sources, **settings.as_dict()},
                         ensure_ascii=False, indent=2))
    else:
        print(f"config ok ({', '.join(settings.sources)})")
    return 0
