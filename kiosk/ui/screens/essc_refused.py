"""A scanned code that identifies nobody: why, in plain words, and "scan again"."""

from __future__ import annotations

from kiosk.services.states import EsscRefusedView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (Panel)
from kiosk.ui.journeys.base import JourneyScreen, image_path, set_label
from kiosk.ui.screen_base import load_kv


class EsscRefusedScreen(JourneyScreen):
    """One screen per refusal, told apart by the view: expired, already used, not an
    e-SSC, revoked, unreadable, identification timed out."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.ids.picture.source = image_path("essc_scan.png")

    def show(self, state: State) -> None:
        view = state.view
        if not isinstance(view, EsscRefusedView):
            return
        set_label(self.ids.title, f"essc.refused.{view.refusal}.title")
        set_label(self.ids.body, f"essc.refused.{view.refusal}.body")
        set_label(self.ids.other_way, "essc.refused.other_way_start" if view.from_start
                  else "essc.refused.other_way")

    def again(self) -> None:
        self.ctl.essc.again()


load_kv(__file__)
