"""What every subcommand shares: loading settings, and the one-line error contract."""

from __future__ import annotations

import argparse

from kiosk.config import Settings, load_settings


class CliError(Exception):
    """A failure to report as one line on stderr, with ``exit_code`` (never a traceback)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH", default=None,
                        help="base config file (default: config/kiosk.toml)")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings for a subcommand; raises ConfigError (printed as one line by main).

    In demo mode, a command run from another terminal (``kiosk read-card``,
    ``kiosk diagnose``) is pointed at the running demo's private pcscd."""
    settings = load_settings(getattr(args, "config", None))
    if settings.kiosk.demo:
        from kiosk.demo import point_at_demo_pcscd

        point_at_demo_pcscd(settings)
    return settings
