"""Where ``kiosk tour`` runs: a home of its own, never the configured one.

A tour only draws sample states. It must not touch what a kiosk on the same machine
uses: it never talks to a central service (real or a running demo's), never reads or
writes the configured data or log folder or secrets file, never sends a heartbeat and
never sends an outbox. So it runs on:

- settings whose data, log and secrets paths are inside a temporary home (demo secrets
  are made there), the fleet agent off, no printer but a dummy, no speech;
- parts with a central client that is offline by construction
  (:class:`kiosk.composition.parts.UnavailableCentral`: no socket is ever opened), no
  card hub, no QR scanner, no fleet agent; the outbox is the home's own, empty one;
- sample log lines in the home's log folder, written through the kiosk's own log format,
  so the technician's log page shows what a log looks like, not this machine's.

Live checks (the technician's screens refresh when shown) stay off: the app shows
samples only (``app.samples_only``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from kiosk.composition import PartsOptions
from kiosk.config import Settings
from kiosk.logs import LOG_FILE, JsonMaskingFormatter
from kiosk.storage import ensure_dir

# (logger, level, event, fields): what a short morning of a kiosk logs, no one's data.
SAMPLE_LOG: tuple[tuple[str, int, str, dict[str, object]], ...] = (
    ("kiosk.cli.run", logging.INFO, "kiosk start", {"demo": False, "site": "outlet"}),
    ("kiosk.ui.app", logging.INFO, "ui built", {"screens": 44}),
    ("kiosk.devices.card_hub", logging.INFO, "card read",
     {"slot": "id", "reader": "ID reader", "ms": 212.4}),
    ("kiosk.ui.app", logging.INFO, "screen", {"screen": "pre_loss_cards"}),
    ("kiosk.central.client", logging.WARNING, "central call failed",
     {"op": "pre_loss", "kind": "offline"}),
    ("kiosk.central.outbox_sender", logging.INFO, "outbox item delivered",
     {"kind": "pre_loss", "attempts": 2}),
    ("kiosk.ui.app", logging.INFO, "session end", {"reason": "done"}),
    ("kiosk.services.diagnostics", logging.INFO, "diagnostics run",
     {"status": "ok", "ms": 24}),
)
# The log records' clock: a fixed morning (UTC 01:30 = 09:30 in Beijing).
SAMPLE_LOG_START = 1795570200.0   # 2026-11-25T01:30:00Z
OFFLINE = "the tour draws sample screens only"


def isolated_settings(settings: Settings, home: Path) -> Settings:
    """``settings`` with every path a kiosk keeps data in moved into ``home``, demo
    secrets, and nothing that reaches out (no fleet agent, dummy printer, no speech)."""
    return replace(
        settings,
        kiosk=replace(settings.kiosk, demo=True, data_dir=str(home / "data"),
                      log_dir=str(home / "log")),
        security=replace(settings.security, secrets_file=str(home / "data" / "none.toml")),
        central=replace(settings.central, base_url="http://127.0.0.1:9"),
        fleet=replace(settings.fleet, enabled=False),
        printer=replace(settings.printer, kind="dummy", target=""),
        speech=replace(settings.speech, enabled=False),
    )


def write_sample_log(log_dir: Path) -> Path:
    """The sample lines, in the kiosk's own JSON log format, in ``log_dir``."""
    ensure_dir(log_dir, "the tour's log directory")
    formatter = JsonMaskingFormatter()
    lines = []
    for i, (name, level, event, fields) in enumerate(SAMPLE_LOG):
        record = logging.LogRecord(name, level, __file__, 0, event, None, None)
        record.created = SAMPLE_LOG_START + 95.0 * i
        record.msecs = 0.0
        record.fields = fields
        lines.append(formatter.format(record))
    path = log_dir / LOG_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sample_parts() -> PartsOptions:
    """Parts that cannot reach anything outside this process (see the module doc)."""
    return PartsOptions(offline=OFFLINE, cards=False, speech=False, scanner=False,
                        fleet=False)
