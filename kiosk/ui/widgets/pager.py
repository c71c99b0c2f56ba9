"""Pages instead of scrolling: many elderly cardholders cannot scroll, so long content
is shown a page at a time with big "previous page" / "next page" buttons.

- :class:`PagedView` replaces a scroll view in kv (same shape: one child, a vertical box
  or grid with ``height: self.minimum_height``). It shows the blocks (the child's
  children) that fit whole, hides the rest, and turns pages at block boundaries, so the
  page size follows the text size and the language by itself.
- :class:`Pages` is page arithmetic for content that is not made of blocks (the
  technician's settings list, by lines).
- :class:`PagerBar` is the button row (hidden, zero height, when one page is enough).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget

from kiosk.ui.widgets.text import KLabel


@dataclass
class Pages:
    """``total`` items shown ``per_page`` at a time; ``page`` is 0-based and clamped."""

    total: int = 0
    per_page: int = 1
    page: int = 0

    @property
    def count(self) -> int:
        """How many pages (at least one, even when empty)."""
        return max(1, -(-self.total // max(1, self.per_page)))

    def window(self) -> range:
        """Indices of the items on the current page."""
        self.page = min(max(0, self.page), self.count - 1)
        start = self.page * self.per_page
        return range(start, min(self.total, start + self.per_page))

    def turn(self, delta: int) -> bool:
        """Go ``delta`` pages on; False when that page does not exist (nothing changes)."""
        target = self.page + delta
        if not 0 <= target < self.count:
            return False
        self.page = target
        return True


def per_page(app: object, normal: int, large: int) -> int:
    """A page size for the app's current text size."""
    return large if getattr(app, "large_text", False) else normal


def page_starts(spans: list[tuple[float, float]], height: float) -> list[float]:
    """Where each page starts, as an offset from the content's top, for blocks at
    ``spans`` (top offset, bottom offset; rows of a grid share their top): every page
    holds the blocks that fit whole below its start, and the next one starts at the
    first block that did not fit (a block taller than the view gets a page of its own)."""
    starts: list[float] = []
    left = sorted(spans)
    while left:
        top = left[0][0]
        starts.append(top)
        rest = [s for s in left if s[1] - top > height + 0.5]
        if len(rest) == len(left):  # the first block alone is too tall: its own page
            rest = [s for s in left if s[0] > top]
        left = rest
    return starts or [0.0]


class PageCountLabel(KLabel):
    """"Page n of m". Its values are the pager's own (kv binds them to the page and the
    count), never anyone's data: a session's wipe of shown values
    (:func:`kiosk.ui.journeys.base.wipe_label`) leaves them, or the next session would
    show the raw ``{page}``/``{count}`` until the page or the count changed."""

    keeps_values = True


class PagerBar(BoxLayout):
    """"Previous page", "page n of m", "next page". ``on_turn(-1 | +1)`` is called."""

    page = NumericProperty(0)      # 0-based
    count = NumericProperty(1)

    def __init__(self, **kwargs: object) -> None:
        self.on_turn: Callable[[int], object] | None = None
        super().__init__(**kwargs)

    def show(self, page: int, count: int) -> None:
        self.count, self.page = count, page

    def turn(self, delta: int) -> None:
        if self.on_turn is not None:
            self.on_turn(delta)


class _Viewport(StencilView):
    """The clipped window on the content: the content is placed so that the page's
    first block is at the top (touches pass through; nothing moves under a finger)."""

    offset = NumericProperty(0)   # the page's start, from the content's top

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self.place, size=self.place, offset=self.place)

    def place(self, *_: object) -> None:
        for child in self.children:
            child.x, child.width = self.x, self.width
            child.top = self.top + self.offset


class PagedView(BoxLayout):
    """A scroll view's replacement that pages (see the module doc)."""

    page = NumericProperty(0)
    count = NumericProperty(1)

    def __init__(self, **kwargs: object) -> None:
        self._viewport = _Viewport()
        self._bar = PagerBar()
        self._bar.on_turn = self.turn
        self._content: Widget | None = None
        self._blocks: tuple[Widget, ...] = ()
        self._hidden: set[int] = set()
        self._fresh = True
        self._trigger = Clock.create_trigger(self._relayout, -1)
        kwargs.setdefault("orientation", "vertical")
        super().__init__(**kwargs)
        super().add_widget(self._viewport)
        super().add_widget(self._bar)
        self._viewport.bind(size=self._trigger)

    def add_widget(self, widget: Widget, *args: object, **kwargs: object) -> None:
        if widget is self._viewport or widget is self._bar or not hasattr(self, "_bar"):
            super().add_widget(widget, *args, **kwargs)
            return
        if self._content is not None:
            raise ValueError("PagedView takes one child (a vertical box or grid)")
        self._content = widget
        self._viewport.add_widget(widget)
        widget.bind(height=self._trigger, children=self._restart)
        widget.bind(height=self._viewport.place)

    def _restart(self, *_: object) -> None:
        # Blocks put in again (a new render): back to the first page.
        self._fresh = True
        self._trigger()

    def first_page(self) -> None:
        """Start again on the first page (a new session, a new step): the next person
        must not land on the page the last one left open."""
        self._fresh = True
        self._trigger()

    def turn(self, delta: int) -> bool:
        """Show the page ``delta`` pages on; False when there is none."""
        target = self.page + delta
        if not 0 <= target < self.count:
            return False
        self.page = target
        self._relayout()
        return True

    def _relayout(self, *_: object) -> None:
        content, view = self._content, self._viewport
        if content is None:
            return
        blocks = tuple(reversed(content.children))
        if self._fresh or blocks != self._blocks:  # new content starts on its first page
            self._blocks, self.page, self._fresh = blocks, 0, False
        for b in blocks:  # measure with every block in place
            self._unhide(b)
        if hasattr(content, "do_layout"):
            content.do_layout()  # positions now, not at the layout's own next trigger
        spans = [(content.top - b.top, content.top - b.y) for b in blocks]
        # A block marked ``keep_with_next`` (a heading) turns the page with the next one.
        groups: list[list[int]] = []
        for i in range(len(blocks)):
            if groups and getattr(blocks[groups[-1][-1]], "keep_with_next", False):
                groups[-1].append(i)
            else:
                groups.append([i])
        # A heading with its block taller than a page (a low, narrow layout) goes alone.
        least = self.height - self._bar_height()
        groups = [part for g in groups for part in (
            [[i] for i in g] if len(g) > 1 and spans[g[-1]][1] - spans[g[0]][0] > least + 0.5
            else [g])]
        group_spans = [(min(spans[i][0] for i in g), max(spans[i][1] for i in g))
                       for g in groups]
        # Everything on one page if it fits the whole view (no bar); else pages of the
        # view less the bar. Measured on the viewport alone, a first layout at a smaller
        # size showed the bar, and the bar then kept the content from ever fitting.
        page_height = self.height
        starts = page_starts(group_spans, page_height)
        if len(starts) > 1:
            page_height = self.height - self._bar_height()
            starts = page_starts(group_spans, page_height)
        self.count = len(starts)
        self.page = min(self.page, self.count - 1)
        top = starts[self.page]
        for g, (g_top, g_bottom) in zip(groups, group_spans, strict=True):
            # A block taller than a page keeps the page it starts (clipped: the tour
            # flags it) rather than leaving that page empty.
            starts_here = abs(g_top - top) <= 0.5
            if g_top < top - 0.5 or (g_bottom - top > page_height + 0.5 and not starts_here):
                for i in g:
                    self._hide(blocks[i])
        view.offset = top
        view.place()
        self._bar.show(self.page, self.count)

    def _bar_height(self) -> float:
        """The bar's height when it shows: as it is when shown, else as tall as its
        buttons will be (widgets.kv: at least one touch target)."""
        bar = self._bar
        if bar.height > 0:
            return float(bar.height)
        theme = getattr(App.get_running_app(), "theme", None)
        buttons = [getattr(w, "height", 0) for w in (bar.ids.get("previous"),
                                                     bar.ids.get("next")) if w is not None]
        return float(max([getattr(theme, "target", 0) or 0, *buttons]))

    def _hide(self, block: Widget) -> None:
        if block.opacity == 0 and id(block) not in self._hidden:
            return  # hidden by its screen: leave it
        self._hidden.add(id(block))
        block.opacity, block.disabled = 0, True

    def _unhide(self, block: Widget) -> None:
        if id(block) in self._hidden:
            self._hidden.discard(id(block))
            block.opacity, block.disabled = 1, False
