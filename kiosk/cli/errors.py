"""The command line's one error type (defined in :mod:`kiosk.errors`, a leaf module the
demo and the production checks import without importing the command line)."""

from __future__ import annotations

from kiosk.errors import CliError

__all__ = ["CliError"]
