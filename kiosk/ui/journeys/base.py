"""Base of the journey screens: render a controller State, forward touches, tour samples.

A journey screen keeps no logic: ``show(state)`` copies the view's fields into its
widgets and the kv forwards buttons to ``root.ctl.<method>()``. It is a view of the
controller's state: showing it starts nothing, and its back is the app's one back
(``app.back()``: one journey step back, as the controller decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from kivy.properties import ObjectProperty
from kivy.uix.widget import Widget

from kiosk.config import REPO_ROOT
from kiosk.domain.clock import DEFAULT_TIMEZONE, format_time
from kiosk.services.controller import JourneyController
from kiosk.services.states import PreLossView, State
from kiosk.ui.journeys.samples import samples_for
from kiosk.ui.screen_base import KioskScreen
from kiosk.ui.widgets.buttons import KButton
from kiosk.ui.widgets.pager import PagedView
from kiosk.ui.widgets.text import KLabel

V = TypeVar("V")


def view_of(state: State, kind: type[V]) -> V:
    """``state.view`` as the view this screen draws; a state of another step is a wiring
    mistake (the bridge routes each step to its own screen), raised as such."""
    view = state.view
    if not isinstance(view, kind):
        raise TypeError(f"step {state.step} has {type(view).__name__}, not {kind.__name__}")
    return view


class JourneyScreen(KioskScreen):
    """``render(state)`` is called by the bridge; subclasses implement ``show``."""

    state = ObjectProperty(None, allownone=True)

    @property
    def ctl(self) -> JourneyController:
        """The journey controller of the app's parts (touches become its intents)."""
        return self.app.controller

    def tr(self, key: str, **values: object) -> str:
        return self.app.tr(key, None, **values)

    # --- shell hooks --------------------------------------------------------------
    def render(self, state: State) -> None:
        new_step = self.state is None or self.state.step != state.step
        self.state = state
        self.show(state)
        if new_step:  # a new step starts on its first page (a live update keeps the page)
            self.first_pages()

    def first_pages(self) -> None:
        """Every paged view of the screen back to its first page."""
        for w in self.walk(restrict=True):
            if isinstance(w, PagedView):
                w.first_page()

    def show(self, state: State) -> None:
        """Copy ``state.view`` into the widgets (override)."""

    def reset(self) -> None:
        """Session end: forget the state, let the screen clear, then blank every shown
        value (masked numbers, references) so nothing of this person stays on a widget."""
        self.state = None
        self.clear()
        for w in self.walk(restrict=True):
            wipe_label(w)
        self.first_pages()

    def clear(self) -> None:
        """Forget anything shown or typed (override; called at every session end)."""

    def tour_states(self) -> dict[str, Callable[[], None]]:
        samples = samples_for(self.name, self.app.settings)
        if not samples:
            return {"default": lambda: None}
        return {name: partial(self.render, s) for name, s in samples.items()}


class ReceiptEndScreen(JourneyScreen):
    """The last screen of a pre-loss, done or queued (kv ids ``receipt`` and ``qr``): the
    receipt's state and the reference's QR code; "done" ends the session."""

    def show_receipt(self, view: PreLossView) -> None:
        set_label(self.ids.receipt, f"journeys.receipt.{view.receipt}")
        self.ids.qr.data = view.qr_payload

    def clear(self) -> None:
        self.ids.qr.data = ""

    def finish(self) -> None:
        self.ctl.end()


def fmt_date(value: dt.date | None) -> str:
    """Dates as YYYY-MM-DD (unambiguous in both languages); '' for None."""
    return value.isoformat() if value is not None else ""


def fmt_time(value: dt.datetime | None) -> str:
    """Times in the region's zone (the services hand over region times; naive = region)."""
    return format_time(value, value.tzinfo or DEFAULT_TIMEZONE) if value is not None else ""


def set_label(widget: Widget, key: str, **values: object) -> None:
    """Point a KLabel/KButton at ``key`` with ``values`` (re-translates on language)."""
    widget.values = values
    if widget.key == key:
        widget._retranslate()
    else:
        widget.key = key
    if not key:
        widget.text = ""


def set_text(widget: Widget, text: str) -> None:
    """Raw text (masked numbers, dates, outlet names): no translation."""
    widget.key = ""
    widget.text = text


def set_shown(widget: Widget, shown: bool) -> None:
    """Hide without removing (kept for reuse): invisible, untouchable, read-aloud skips."""
    widget.opacity = 1 if shown else 0
    widget.disabled = not shown


def image_path(name: str) -> str:
    """Absolute path of a picture in assets/images, or '' when it is not there."""
    path = REPO_ROOT / "assets" / "images" / name
    return str(path) if path.exists() else ""


def wipe_label(widget: Widget) -> None:
    """Blank a label's data: placeholder values, and raw text (keys stay: no data). A
    label whose values are never data (``keeps_values``, e.g. the pager's page count)
    is left alone."""
    if getattr(widget, "keeps_values", False):
        return
    if isinstance(widget, KLabel) and not isinstance(widget, KButton):
        if widget.values:
            widget.values = {}
        if not widget.key and widget.text:
            widget.text = ""
