"""The fleet agent, built here: on the kiosk's one central client (the journeys', the
outbox sender's and the staff call's: one signed connection pool, one revocation
listener), the directives as the journey controller's intents
(:func:`kiosk.fleet.hooks.controller_hooks`), the part statuses from the same live
parts the technician sees."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.config import Settings
from kiosk.devices.speech import Speaker
from kiosk.fleet.agent import FleetAgent
from kiosk.fleet.hooks import controller_hooks, poke_at_home
from kiosk.fleet.ports import FleetClient
from kiosk.fleet.status import StatusCollector
from kiosk.services.controller import JourneyController
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.ports import Dispatcher


def build_fleet_agent(settings: Settings, dispatch: Dispatcher,
                      controller: JourneyController, client: FleetClient, *,
                      context: Callable[[], DiagnosticsContext],
                      speaker: Speaker | None = None) -> FleetAgent:
    """The agent of a running kiosk; not started (the parts start it)."""
    status = StatusCollector(settings, context=context, speaker=speaker, central=True)
    agent = FleetAgent(settings, client, controller_hooks(controller, dispatch),
                       status=status,
                       config_path=settings.sources[0] if settings.sources else None)
    poke_at_home(controller, agent)
    return agent
