"""Out of service: the central service paused this terminal. Why, whom to call, where
else to go; plain guidance if the pause leaves it readable. No journey starts here."""

from __future__ import annotations

from kiosk.domain.alternatives import Alternative
from kiosk.services.states import OutOfServiceView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (Panel)
from kiosk.ui.journeys.base import JourneyScreen, set_label, set_shown, view_of
from kiosk.ui.screen_base import load_kv


class OutOfServiceScreen(JourneyScreen):
    """Drawn for ``Step.OUT_OF_SERVICE``; its button opens the guidance; "call staff"
    and "accessible height" are in that button's row (no navigation bar here)."""

    access_in_content = True

    # Like the attract screen: no session runs here, so no inactivity countdown, and
    # the technician's corner gesture works.
    idle_screen = True

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.app.bind(lang=self._relang)

    def _relang(self, *_: object) -> None:
        if self.state is not None:
            self.show(self.state)  # the site's words are by language

    def show(self, state: State) -> None:
        """Reason, hotline, the nearest alternative (if any), guidance (if allowed)."""
        v = view_of(state, OutOfServiceView)
        set_label(self.ids.reason, f"fleet.reason.{v.reason}")
        set_label(self.ids.hotline, "fleet.paused.hotline", hotline=v.hotline)
        if v.alternative == Alternative.SITE:  # the site's own words (local config)
            place = v.place.get(self.app.lang, "") or next(iter(v.place.values()), "")
            set_label(self.ids.alternative, "fleet.paused.alternative", place=place)
        else:  # a catalog sentence, or nothing ("")
            set_label(self.ids.alternative,
                      f"fleet.alternatives.{v.alternative}" if v.alternative else "")
        set_shown(self.ids.alternative, bool(v.alternative))
        set_shown(self.ids.guidance_note, v.guidance_readable)
        set_shown(self.ids.guidance_button, v.guidance_readable)

    def open_guidance(self) -> None:
        """The guidance button: an intent to the controller (refused unless allowed)."""
        self.ctl.start("guidance")


load_kv(__file__)
