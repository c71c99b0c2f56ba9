"""The attract screen's journeys, as data (Kivy-free).

Each route is a big button on the attract screen that begins a journey: the tile is an
intent to the controller (``ctl.start(route.journey)``, :mod:`kiosk.ui.navigation`),
and the controller's first state of that journey is drawn on the route's ``screen``
(named in ``kiosk/ui/registry.py``). An app without journeys (the shell alone) shows
the placeholder screen with the route's title.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config import Settings
from kiosk.services.states import Journey


@dataclass(frozen=True)
class Route:
    id: str
    screen: str            # the screen the journey's first step is drawn on
    label_key: str         # i18n key of the button's title
    hint_key: str          # i18n key of its one-line explanation
    journey: Journey       # the journey the button begins
    feature: str | None = None   # a settings.features flag that must be true


ROUTES: tuple[Route, ...] = (
    Route("pre_loss", "pre_loss", "attract.pre_loss", "attract.pre_loss_hint",
          Journey.PRE_LOSS),
    Route("status", "status", "attract.status", "attract.status_hint", Journey.STATUS),
    Route("guide", "guide", "attract.guide", "attract.guide_hint", Journey.GUIDANCE),
    Route("cancel_pre_loss", "cancel_pre_loss", "attract.cancel_pre_loss",
          "attract.cancel_pre_loss_hint", Journey.CANCEL, feature="cancel_pre_loss"),
)


def enabled_routes(settings: Settings, routes: tuple[Route, ...] = ROUTES) -> list[Route]:
    """Routes whose feature flag (if any) is on for this site."""
    return [r for r in routes
            if r.feature is None or bool(getattr(settings.features, r.feature, False))]
