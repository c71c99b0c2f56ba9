"""The staff call panel (一键呼叫): over whatever screen the cardholder was on, it says
where the call stands, in words that never promise more than is known (see
:mod:`kiosk.services.staff_call`): calling, called (waiting), on their way, no answer
yet, or could not call — the last two with the hotline and the counter.

Opened by "call staff" (every cardholder screen's header, or the keypad's help key) and
again when the answer comes; "back" closes it (the call stays open). Built when first
needed (its labels would open more font faces at start).
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.widget import Widget

from kiosk.domain.clock import format_time
from kiosk.services.staff_call import HelpPhase, HelpStatus
from kiosk.ui.widgets.overlay import KioskModal

# Phases whose panel shows the hotline and the counter (nobody may be coming).
HOTLINE_PHASES = frozenset({HelpPhase.UNREACHABLE, HelpPhase.UNANSWERED})


class HelpOverlay(KioskModal):
    """The panel; :meth:`show_status` draws a :class:`HelpStatus`."""

    phase = StringProperty(HelpPhase.IDLE.value)
    asked = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("auto_dismiss", False)
        super().__init__(**kwargs)
        self._anim_duration = 0
        # Held here: taken out of the panel, a kv id (a weak reference) would let it go.
        self._hotline = self.ids.hotline.__self__
        self._again = self.ids.again.__self__

    @property
    def is_open(self) -> bool:
        return self._window is not None

    def show_status(self, status: HelpStatus) -> None:
        """Draw ``status`` and open (IDLE: close)."""
        if status.phase is HelpPhase.IDLE:
            self.hide()
            return
        zone = App.get_running_app().settings.region.timezone
        self.asked = format_time(status.asked_at, zone) if status.asked_at else ""
        self.phase = status.phase.value
        # The hotline only while nobody may be coming; otherwise not even as a gap.
        _shown_in(self._hotline, self.ids.panel, status.phase in HOTLINE_PHASES, index=1)
        # Calling again only when nobody was called.
        _shown_in(self._again, self.ids.row, status.phase is HelpPhase.UNREACHABLE,
                  index=1)
        if not self.is_open:
            self.open(animation=False)

    def hide(self) -> None:
        if self.is_open:
            self.dismiss(animation=False)

    def access_back(self) -> None:
        """The keypad's back key: close the panel (the call stays open)."""
        self.hide()

    def again(self) -> None:
        """Could not call: try once more."""
        App.get_running_app().call_staff()


def _shown_in(widget: Widget, parent: Widget, shown: bool, index: int) -> None:
    """Put ``widget`` in ``parent`` (at ``index``) or take it out: hidden, it takes no
    room (an invisible widget in a layout still would)."""
    if shown and widget.parent is None:
        parent.add_widget(widget, index=index)
    elif not shown and widget.parent is not None:
        parent.remove_widget(widget)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
