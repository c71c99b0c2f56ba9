"""Configuration in effect, software versions, and whether the secrets file is usable."""

from __future__ import annotations

import platform

from kiosk import __version__
from kiosk.config import ConfigError
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus


def check_config(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when the secrets cannot be loaded (the terminal cannot sign requests)."""
    s = ctx.settings
    details = {"version": __version__, "python": platform.python_version(),
               "site": s.kiosk.site, "terminal_id": s.kiosk.terminal_id, "demo": s.kiosk.demo,
               "default_language": s.kiosk.language, "sources": list(s.sources)}
    try:
        ctx.get_secrets()
    except ConfigError as exc:
        # The message names the file and key, never a secret value.
        details["error"] = str(exc)
        return CheckResult("config", CheckStatus.FAIL, "diagnostics.config.secrets", details)
    return CheckResult("config", CheckStatus.OK, "diagnostics.config.ok", details)
