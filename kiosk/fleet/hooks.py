"""The fleet agent joined to a running kiosk (called by the composition root): the
directives become the journey controller's intents, on the owner's thread through the
dispatcher; the agent sees the live parts for its status, and the session boundary.

- ``pause`` → ``ctl.out_of_service.pause(view)``: the current journey goes on to its
  end, then the out-of-service step (hotline, the site's nearest alternative).
- ``resume`` → ``ctl.out_of_service.resume()``.
- ``config`` → at an idle moment (home or out of service) ``ctl.take_settings(new)``:
  every screen shows them from then on (the start screen, a pause's out-of-service step,
  the next session's screens and receipts); what parts were built with (central
  timeouts, the speaker) from the next start, which the overlay on disk gives them.
- every return home pokes the agent, so a waiting overlay is applied then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.central.client import CentralClient
from kiosk.central.probe import CentralProbes
from kiosk.central.schemas_fleet import PauseDirective
from kiosk.config import Settings
from kiosk.devices.probes import DeviceProbes
from kiosk.fleet.agent import FleetAgent, FleetHooks
from kiosk.fleet.ports import LiveSpeaker
from kiosk.fleet.status import StatusCollector
from kiosk.logs import get_logger
from kiosk.secrets import load_secrets
from kiosk.services.out_of_service import out_of_service_view as view_for_pause
from kiosk.services.states import OutOfServiceView, State, Step

if TYPE_CHECKING:
    from kiosk.services.controller import JourneyController

log = get_logger("kiosk.fleet")
IDLE_STEPS = frozenset({Step.HOME, Step.OUT_OF_SERVICE})


def out_of_service_view(settings: Settings, directive: PauseDirective) -> OutOfServiceView:
    """What the out-of-service step shows for ``directive`` at this site."""
    return view_for_pause(settings, directive.reason.value, directive.guidance_readable)


def build_fleet_agent(settings: Settings, dispatch: Callable[[Callable[[], None]], None],
                      controller: JourneyController, *, hub: object = None,
                      printer: object = None, speaker: LiveSpeaker | None = None,
                      outbox: object = None) -> FleetAgent | None:
    """The agent for a running kiosk, or None when it cannot talk to the centre (no
    secrets, a refused address: the kiosk runs on, and says so in the log)."""
    try:
        client = CentralClient(settings, load_secrets(settings))  # its own connection
    except Exception as exc:
        log.error("fleet agent not started", extra={"fields": {"error": type(exc).__name__}})
        return None

    def on_pause(directive: PauseDirective) -> None:
        view = out_of_service_view(controller.settings, directive)  # those in effect
        dispatch(lambda: controller.out_of_service.pause(view))

    def on_resume() -> None:
        dispatch(controller.out_of_service.resume)

    def on_config(new: Settings, version: int) -> None:
        dispatch(lambda: controller.take_settings(new))

    hooks = FleetHooks(on_pause=on_pause, on_resume=on_resume, on_config=on_config,
                       is_idle=lambda: controller.state.step in IDLE_STEPS)
    status = StatusCollector(settings, devices=DeviceProbes(settings),
                             remote=CentralProbes(settings), card_hub=hub, printer=printer,
                             speaker=speaker, outbox=outbox)
    agent = FleetAgent(settings, client, hooks, status=status,
                       config_path=settings.sources[0] if settings.sources else None)

    def at_home(state: State) -> None:
        if state.step is Step.HOME:
            agent.poke()

    controller.subscribe(at_home)
    return agent
