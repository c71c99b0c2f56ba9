"""Entry point: ``kiosk <subcommand>`` / ``python -m kiosk``.

Each subcommand lives in its own module under ``kiosk/cli/`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from kiosk import __version__
from kiosk.cli.common import CliError
from kiosk.config import ConfigError
from kiosk.storage import StorageError, reason

# Subcommand modules, in the order --help lists them.
COMMAND_MODULES = [
    "kiosk.cli.run",
    "kiosk.cli.tour",
    "kiosk.cli.config_cmd",
    "kiosk.cli.card",
    "kiosk.cli.read_card",
    "kiosk.cli.bench",
    "kiosk.cli.diagnose",
    "kiosk.cli.sandbox",
    "kiosk.cli.calendar",
    "kiosk.cli.package",
    "kiosk.cli.fleet",
    "kiosk.cli.outbox",
    "kiosk.cli.demo",
]


class KioskArgumentParser(argparse.ArgumentParser):
    """Usage errors as one line too (``kiosk read-card: --timeout: …``); ``--help`` still
    shows the full usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = KioskArgumentParser(prog="kiosk", description="Social security card kiosk")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def describe_os_error(exc: OSError) -> str:
    """``cannot use <path>: <reason>`` (or just the reason when no path is known)."""
    why = reason(exc)
    if exc.filename is None:
        return f"system error: {why}"
    paths = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 else "")
    return f"cannot use {paths}: {why}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return exc.exit_code
    except StorageError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # A path problem no command foresaw: still one line naming the path.
        print(f"kiosk: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kiosk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # The outbox is opened while the app is built: its one-line error (with the
        # path) is a storage problem, not a crash.
        from kiosk.central.errors import OutboxError  # lazy: requests, for every command

        if not isinstance(exc, OutboxError):
            raise
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
