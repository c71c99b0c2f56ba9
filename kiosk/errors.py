"""The command line's one error type, in a leaf module: the demo and the production
checks raise it, and the command line imports both, so it cannot live in ``kiosk.cli``
without an import cycle."""

from __future__ import annotations


class CliError(Exception):
    """A failure to report as one line on stderr, with ``exit_code`` (never a traceback)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        self.exit_code = exit_code
        super().__init__(message)
