"""What every subcommand shares: loading settings, and the one-line error contract."""

from __future__ import annotations

import argparse

from kiosk.cli.errors import CliError
from kiosk.config import Settings, load_settings
from kiosk.demo import join_running_demo

__all__ = ["CliError", "add_config_argument", "at_least_one", "positive_float", "settings_from"]


def positive_float(text: str) -> float:
    """argparse type: a number > 0 (argparse turns the error into one usage line)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number greater than 0, got {text!r}")
    return value


def at_least_one(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH", default=None,
                        help="base config file (default: config/kiosk.toml)")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings for a subcommand; raises ConfigError (printed as one line by main).

    While a demo runs on this data dir, a command run from another terminal (``kiosk
    read-card``, ``kiosk diagnose``) is in demo mode too and uses the demo's pcscd."""
    settings = load_settings(getattr(args, "config", None))
    return join_running_demo(settings)
