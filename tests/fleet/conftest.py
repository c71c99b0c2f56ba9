"""Fleet test parts: terminals with their own config file, data dir, terminal id and
key, each a real :class:`~kiosk.fleet.agent.FleetAgent` with a real central client
heartbeating against the real sandbox over HTTP (the sandbox learns each key)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kiosk.central.client import CentralClient
from kiosk.central.sandbox.server import SandboxHandle
from kiosk.composition.diagnostics import diagnostics_context
from kiosk.config import Settings
from kiosk.fleet.agent import FleetAgent, FleetHooks
from kiosk.fleet.overlay import boot_settings
from kiosk.fleet.status import StatusCollector
from kiosk.secrets import load_secrets

# Fixtures of other test folders used here: the services rig (headless controller with
# fakes) and the real-window journey parts.
from tests.e2e.window.conftest import e2e_settings, journey  # noqa: F401
from tests.services.conftest import rig  # noqa: F401


def write_config(path: Path, terminal_id: str, data_dir: Path, base_url: str,
                 extra: str = "") -> Path:
    path.write_text(f"""
[kiosk]
demo = true
terminal_id = "{terminal_id}"
data_dir = "{data_dir}"
log_dir = "{data_dir / 'log'}"
[central]
base_url = "{base_url}"
connect_timeout = 2.0
read_timeout = 3.0
retries = 0
[security]
secrets_file = "{data_dir / 'no-such-secrets.toml'}"
[speech]
enabled = false
[fleet]
heartbeat_seconds = 5
{extra}
""", encoding="utf-8")
    return path


@dataclass
class Terminal:
    """One kiosk's fleet side: config file, settings, client, agent, and what the
    hooks were told."""

    terminal_id: str
    config: Path
    settings: Settings
    client: CentralClient
    agent: FleetAgent
    events: list[tuple[str, Any]] = field(default_factory=list)
    idle: list[bool] = field(default_factory=lambda: [True])

    def register(self, sandbox: SandboxHandle) -> dict[str, Any]:
        found = sandbox.admin("GET", "/fleet/terminals")["terminals"]
        return next(t for t in found if t["terminal_id"] == self.terminal_id)


def make_terminal(tmp_path: Path, sandbox: SandboxHandle, terminal_id: str,
                  extra: str = "", base_url: str | None = None) -> Terminal:
    home = tmp_path / terminal_id
    home.mkdir(parents=True, exist_ok=True)
    config = write_config(home / "kiosk.toml", terminal_id, home / "var",
                          base_url or sandbox.url, extra)
    settings, overlay = boot_settings(config, environ={})
    secrets = load_secrets(settings)
    sandbox.gate.keys[terminal_id] = secrets.terminal_key  # the centre knows the terminal
    client = CentralClient(settings, secrets)
    events: list[tuple[str, Any]] = []
    idle = [True]
    hooks = FleetHooks(on_pause=lambda d: events.append(("pause", d)),
                       on_resume=lambda: events.append(("resume", None)),
                       on_config=lambda s, v: events.append(("config", (s, v))),
                       is_idle=lambda: idle[0])
    agent = FleetAgent(settings, client, hooks, overlay=overlay, config_path=config,
                       environ={}, status=StatusCollector(
                           settings, context=lambda: diagnostics_context(settings),
                           central=True))
    return Terminal(terminal_id, config, settings, client, agent, events, idle)


@pytest.fixture
def terminals(sandbox: SandboxHandle, tmp_path: Path
              ) -> Iterator[Callable[..., Terminal]]:
    made: list[Terminal] = []

    def make(terminal_id: str, extra: str = "", base_url: str | None = None) -> Terminal:
        t = make_terminal(tmp_path, sandbox, terminal_id, extra, base_url)
        made.append(t)
        return t

    yield make
    for t in made:
        t.agent.stop()
        t.client.close()
        sandbox.gate.keys.pop(t.terminal_id, None)
