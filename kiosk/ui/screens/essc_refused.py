"""A scanned code that identifies nobody: why, in plain words, and what helps: "scan
again", or, when scanning cannot help (a revoked e-SSC), "use my ID card"."""

from __future__ import annotations

from kiosk.services.states import EsscRefusedView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (Panel)
from kiosk.ui.journeys.base import JourneyScreen, image_path, set_label
from kiosk.ui.screen_base import load_kv

# Refusals a new scan of the same card cannot mend (a revoked e-SSC).
NO_SCAN_HELPS = frozenset({"revoked"})


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
        if view.refusal in NO_SCAN_HELPS:
            # Scanning this card again cannot help: the button offers the ID card (back
            # to the reader, or to the start screen's choice), and says so.
            set_label(self.ids.again, "essc.refused.use_id_card_start" if view.from_start
                      else "essc.refused.use_id_card")
            set_label(self.ids.other_way, "")
            return
        set_label(self.ids.again, "essc.refused.scan_again")
        set_label(self.ids.other_way, "essc.refused.other_way_start" if view.from_start
                  else "essc.refused.other_way")

    def again(self) -> None:
        self.ctl.essc.again()


load_kv(__file__)
