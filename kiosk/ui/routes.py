"""The attract screen's journeys, as data (Kivy-free).

Each route is a big button on the attract screen leading to a named screen. The
journeys register screens with these names in ``kiosk/ui/registry.py``; until
a screen exists, the app shows the placeholder screen with the route's title.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config import Settings


@dataclass(frozen=True)
class Route:
    id: str
    screen: str            # name of the screen the button opens
    label_key: str         # i18n key of the button's title
    hint_key: str          # i18n key of its one-line explanation
    feature: str | None = None   # a settings.features flag that must be true


ROUTES: tuple[Route, ...] = (
    Route("pre_loss", "pre_loss", "attract.pre_loss", "attract.pre_loss_hint"),
    Route("status", "status", "attract.status", "attract.status_hint"),
    Route("guide", "guide", "attract.guide", "attract.guide_hint"),
    Route("cancel_pre_loss", "cancel_pre_loss", "attract.cancel_pre_loss",
          "attract.cancel_pre_loss_hint", feature="cancel_pre_loss"),
)


def enabled_routes(settings: Settings, routes: tuple[Route, ...] = ROUTES) -> list[Route]:
    """Routes whose feature flag (if any) is on for this site."""
    return [r for r in routes
            if r.feature is None or bool(getattr(settings.features, r.feature, False))]
