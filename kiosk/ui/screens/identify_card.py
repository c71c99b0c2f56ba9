"""First screen of pre-loss and status: present the ID card (or SSC), or use the keypad."""

from __future__ import annotations

from kivy.properties import BooleanProperty

from kiosk.services.states import IdentifyView, State
from kiosk.ui.journeys.base import JourneyScreen, image_path, set_label, set_shown, view_of
from kiosk.ui.screen_base import load_kv


class IdentifyCardScreen(JourneyScreen):
    """Waits for a card; the controller moves on when the card hub reads one."""

    essc_dimmed = BooleanProperty(False)  # the scanner is there but out of order

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.ids.picture.source = image_path("guidance_id_card.png")
        self.ids.essc_picture.source = image_path("essc_scan.png")  # phone over the window

    def show(self, state: State) -> None:
        view = state.view
        if view is not None:
            view = view_of(state, IdentifyView)
        status = state.journey == "status"
        self.title_key = "journeys.identify.title_status" if status \
            else "journeys.identify.title_pre_loss"
        set_shown(self.ids.or_ssc, bool(view and view.ssc_allowed))
        set_shown(self.ids.keypad_button, bool(view and view.keypad_allowed))
        # The e-SSC beside the ID card: offered when a scanner is there, said when not.
        essc = view.essc if view is not None else "off"
        row = self.ids.essc_row
        set_shown(row, essc != "off")
        row.size_hint_x = 1 if essc != "off" else 0.001  # no scanner: the ID card alone
        set_label(self.ids.essc_how, "essc.identify.unavailable" if essc == "unavailable"
                  else "essc.identify.how")
        self.ids.essc_how.bold = essc == "unavailable"
        self.essc_dimmed = essc == "unavailable"

    def use_keypad(self) -> None:
        self.ctl.identify.use_keypad()



load_kv(__file__)
