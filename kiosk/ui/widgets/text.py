"""Translated, themed text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.properties import BooleanProperty, DictProperty, OptionProperty, StringProperty
from kivy.uix.label import Label

from kiosk.ui.line_breaks import break_lines, has_cjk

if TYPE_CHECKING:
    from kivy.core.text import LabelBase

ROLES = ("small", "body", "button", "title", "heading", "display")


class Translated:
    """Mixin: ``key`` (+ ``values``) sets ``text`` in the app's current language, again on
    every language switch and whenever the app takes new settings (``{hotline}`` and
    ``{region}`` come from them). With an empty key, ``text`` is left alone (raw data)."""

    # What it uses of the Kivy widget it is mixed into (declared only: Kivy has no types).
    text: str
    opacity: float
    x: float
    top: float
    bind: Callable[..., None]
    to_window: Callable[[float, float], tuple[float, float]]

    key = StringProperty("")
    values = DictProperty({})

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        if app is not None:
            app.bind(lang=self._retranslate)
            if app.property("settings_version", quiet=True) is not None:
                app.bind(settings_version=self._retranslate)
        self.bind(key=self._retranslate, values=self._retranslate)
        self._retranslate()

    def _retranslate(self, *_: object) -> None:
        if not self.key:
            return
        app = App.get_running_app()
        if app is not None:
            self.text = app.tr(self.key, **self.values)


class ChineseLines:
    """Mixin (before ``Label``): Chinese text is broken into lines here
    (:func:`kiosk.ui.line_breaks.break_lines`: no word cut at a line's end for one or two
    characters, no line starting with punctuation); Kivy breaks only at spaces. ``text``
    stays the text as written; what is drawn is :attr:`drawn_lines`."""

    # What the mixin uses of its Kivy host; the core label is the text provider's (a
    # subclass of Kivy's LabelBase).
    text: str
    text_size: Sequence[float | None] | None
    padding: Sequence[float]
    _label: LabelBase | None

    def texture_update(self, *largs: object) -> None:
        # Where Kivy draws the text (deferred to the frame, once the text, width and
        # font have settled): the core label gets the lines broken here. Breaking on
        # each property change measured at sizes never drawn (a font face each).
        if self._label is not None:
            self._label.text = self._wrapped(self.text)
        super().texture_update(*largs)  # type: ignore[misc]

    def _wrapped(self, text: str) -> str:
        """``text`` with its line breaks, when it is Chinese and has a width to fit."""
        width = self.text_size[0] if self.text_size else None
        if not text or not width or not has_cjk(text):
            return text
        pad = self.padding[0] + self.padding[2] if len(self.padding) == 4 \
            else 2 * self.padding[0]
        core = self._label
        assert core is not None  # texture_update calls this once Kivy made it
        core.resolve_font_name()   # the font as it will draw (get_extents needs it)
        extents = core.get_cached_extents()
        return "\n".join(break_lines(text, max(1.0, width - pad),
                                     lambda part: extents(part)[0]))

    @property
    def drawn_lines(self) -> list[str]:
        """The lines as drawn (after the last layout of the text)."""
        return drawn_lines(self)


class KLabel(ChineseLines, Translated, Label):
    """A label that wraps to its width and grows to its text's height; Chinese lines
    broken by :class:`ChineseLines`.

    ``role`` picks the type size, ``tone`` the palette colour (``text``, ``text_muted``,
    ``header_text``, ``danger_text`` …). ``keep_with_next``: in a
    :class:`~kiosk.ui.widgets.pager.PagedView`, a heading never ends a page: it turns
    the page with the block after it."""

    role = OptionProperty("body", options=ROLES)
    tone = StringProperty("text")
    keep_with_next = BooleanProperty(False)


def drawn_lines(label: Label) -> list[str]:
    """The lines a Kivy label draws, as its text layout cut them (any label: ours or
    Kivy's own wrapping); the text's own lines before its first layout."""
    cached = getattr(getattr(label, "_label", None), "_cached_lines", None)
    if cached:
        return ["".join(str(word.text) for word in line.words) for line in cached]
    return str(label.text).split("\n")
