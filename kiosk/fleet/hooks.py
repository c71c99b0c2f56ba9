"""The fleet agent joined to a running kiosk: the directives become the journey
controller's intents, on the owner's thread through the dispatcher, and the session
boundary pokes the agent. The composition root builds the agent with these hooks, on the
kiosk's one central client and live parts (kiosk/composition/fleet.py).

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

from kiosk.central.schemas_fleet import PauseDirective
from kiosk.config import Settings
from kiosk.fleet.agent import FleetAgent, FleetHooks
from kiosk.logs import get_logger
from kiosk.services.controller import JourneyController
from kiosk.services.out_of_service import out_of_service_view as view_for_pause
from kiosk.services.ports import Dispatcher
from kiosk.services.states import OutOfServiceView, State, Step

log = get_logger("kiosk.fleet")
IDLE_STEPS = frozenset({Step.HOME, Step.OUT_OF_SERVICE})


def out_of_service_view(settings: Settings, directive: PauseDirective) -> OutOfServiceView:
    """What the out-of-service step shows for ``directive`` at this site."""
    return view_for_pause(settings, directive.reason.value, directive.guidance_readable)


def controller_hooks(controller: JourneyController, dispatch: Dispatcher) -> FleetHooks:
    """The directives as ``controller``'s intents, each run on its thread (``dispatch``);
    idle means home or out of service."""
    def on_pause(directive: PauseDirective) -> None:
        view = out_of_service_view(controller.settings, directive)  # those in effect
        dispatch(lambda: controller.out_of_service.pause(view))

    def on_resume() -> None:
        dispatch(controller.out_of_service.resume)

    def on_config(new: Settings, version: int) -> None:
        dispatch(lambda: controller.take_settings(new))

    return FleetHooks(on_pause=on_pause, on_resume=on_resume, on_config=on_config,
                      is_idle=lambda: controller.state.step in IDLE_STEPS)


def poke_at_home(controller: JourneyController, agent: FleetAgent) -> Callable[[State], None]:
    """Poke ``agent`` at every return home (a waiting overlay is applied then); the
    listener, subscribed to ``controller``."""
    def at_home(state: State) -> None:
        if state.step is Step.HOME:
            agent.poke()

    controller.subscribe(at_home)
    return at_home
