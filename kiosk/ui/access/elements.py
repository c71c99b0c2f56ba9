"""What can take the focus on the shown screen, in order, and how each is said.

Stops, in this order (``Down`` moves forward and wraps): the screen's content in the
order it is laid out (kv order: reading order), then the navigation bar (back, call
staff, accessible height, home), then the header's buttons (read aloud, large text, high
contrast, language); in the low-reach layout the side column's buttons instead of both.
When a modal panel is open (the staff call, the inactivity warning), only its own stops.

A stop is a button (a :class:`ButtonBehavior`: its text, "button", and "on"/"off" for a
toggle), or a text block (a :class:`KLabel` outside any button). A widget may speak for
itself with ``access_describe()``, a list of (catalog key, values) (the number keypad:
"3 of 18 digits typed"; its keys
are not stops: the keypad's own digits type); ``access_skip = True`` hides a widget and
its children; a widget with ``access_group = True`` (a panel: a card's row) lends its
texts to the buttons in it. Hidden and disabled widgets are never stops. Images are not
stops: what they show is said in the text beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from kiosk.ui.access.voice import Say
from kiosk.ui.widgets.buttons import KButton
from kiosk.ui.widgets.text import KLabel

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp

# Header buttons in the order they are reached (attribute names on the Header).
HEADER_ORDER = ("read_button", "large_button", "contrast_button", "lang_button")
# Toggles (by catalog key) that have an on/off state, and the app property it shows.
TOGGLES = {"app.large_text": "large_text", "app.high_contrast": "high_contrast",
           "access.low_reach": "low_reach"}


def open_modal() -> ModalView | None:
    """The top-most open modal panel, if any."""
    for child in Window.children:
        if isinstance(child, ModalView):
            return child
    return None


def shown(widget: Widget, stop_at: Widget | None = None) -> bool:
    """On screen: not hidden or disabled up to ``stop_at`` (or the window). Sizes are
    not asked: a screen shown for the first time has not been laid out yet."""
    node: Widget | None = widget
    while node is not None and node is not stop_at:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
            return False
        parent = node.parent
        if parent is None or parent is node:
            break
        node = parent
    return True


def _walk(root: Widget) -> Iterator[Widget]:
    """Stops under ``root`` in layout order (a stop's own children are not stops)."""
    for child in reversed(root.children):  # children are stored last-added first
        if getattr(child, "access_skip", False):
            continue
        if hasattr(child, "access_describe") or isinstance(child, ButtonBehavior):
            yield child
        elif isinstance(child, KLabel) and child.text.strip():
            yield child
        else:
            yield from _walk(child)


def stops(app: UiApp) -> list[Widget]:
    """Every stop of what is shown now (see the module doc)."""
    modal = open_modal()
    if modal is not None:
        return [w for w in _walk(modal) if shown(w)]
    screen = app.sm.current_screen if app.sm is not None else None
    frame = getattr(screen, "frame", None)
    if frame is None:
        return []
    out = [w for w in _walk(frame.ids.content) if shown(w)]
    side = getattr(frame, "side", None)
    if side is not None and side.parent is not None:  # low reach: its column
        out += [w for w in _walk(side.ids.buttons) if shown(w)]
    out += [w for w in reversed(frame.ids.nav.children)
            if isinstance(w, KButton) and shown(w)]
    header = frame.ids.header
    for name in HEADER_ORDER:
        button = getattr(header, name, None)
        if button is not None and button.parent is not None and shown(button):
            out.append(button)
    return out


def choices(items: list[Widget]) -> int:
    """How many of ``items`` do something when activated (buttons)."""
    return sum(1 for w in items if isinstance(w, ButtonBehavior))


def _said(widget: Widget) -> Say:
    """A widget's text as a part: its catalog key and values, or the text shown."""
    key = getattr(widget, "key", "")
    if key:
        return Say(key, dict(getattr(widget, "values", {}) or {}))
    return Say(text=str(getattr(widget, "text", "")))


def _panel_of(widget: Widget) -> Widget | None:
    """The group (``access_group = True``: a card's row) ``widget`` is in, if any."""
    node = widget.parent
    while node is not None and node is not Window:
        if getattr(node, "access_group", False):
            return node
        node = node.parent
    return None


def describe(widget: Widget, app: UiApp) -> list[Say]:
    """How ``widget`` is said when it takes the focus: label, then role and state."""
    custom = getattr(widget, "access_describe", None)
    if callable(custom):  # (catalog key, values) pairs
        return [Say(key, values) for key, values in custom()]
    if isinstance(widget, KButton):
        parts: list[Say] = []
        panel = _panel_of(widget)
        if panel is not None:  # a row's button: say what the row is about first
            parts += [_said(w) for w in _walk(panel)
                      if isinstance(w, KLabel) and not isinstance(w, KButton) and shown(w)]
        parts += [_said(widget), Say("access.role.button")]
        toggle = TOGGLES.get(widget.key)
        if toggle is not None:
            on = bool(getattr(app, toggle, False))
            parts.append(Say("access.state.on" if on else "access.state.off"))
        return parts
    if isinstance(widget, ButtonBehavior):  # a tile or a row: the texts on it
        inner = [_said(w) for w in widget.walk(restrict=True)
                 if isinstance(w, KLabel) and w.text.strip() and shown(w, widget)]
        return inner + [Say("access.role.button")]
    return [_said(widget)]


def text_blocks(app: UiApp) -> dict[int, tuple[Widget, str]]:
    """The text blocks shown now, by widget uid (to hear what a change changed)."""
    return {w.uid: (w, w.text) for w in stops(app) if isinstance(w, KLabel)
            and not isinstance(w, KButton)}
