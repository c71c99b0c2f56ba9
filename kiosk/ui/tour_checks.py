"""What the tour checks on every shot, read from the widget tree at the moment of the shot
(what each label really shows, where each picture and button is really drawn).

- **Text**: every visible label's text as drawn: a ``{name}`` placeholder left
  unformatted, an untranslated ``[area.key]``.
- **Chinese lines**: no drawn line starts with closing punctuation, and no paragraph
  ends on a line of one or two characters (:mod:`kiosk.ui.line_breaks`).
- **Text outside its box**: a label's text (its texture, drawn centred on the label) larger
  than the label: a button's words spilling past its edges, a heading wider than its box.
- **Drawn over**: any picture, button or text drawn over text or a button (their drawn
  rectangles intersect), anywhere in the window: the header's title and buttons too. A
  widget is never "over" its own ancestor or descendant (a button's own text).
- **Outside the content area / off the window / needs scrolling**: as before (a block
  of the content spilling over the header or the footer, a clipped block in a scroll
  view).

Only what is drawn counts: hidden widgets (opacity 0, disabled, another screen) are
skipped, and a widget inside a clipping view (a page, a scroll view) counts only where
the clip lets it show. A modal overlay on top covers what is below it on purpose: the
windows below it are not checked. The checks are general (no screen is named here), so
new screens and widgets are judged the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget

from kiosk.ui.line_breaks import CLOSING, has_cjk
from kiosk.ui.widgets.text import drawn_lines

if TYPE_CHECKING:
    from kiosk.ui.driver import AppDriver

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in window pixels
TOLERANCE = 2.0          # pixels of overlap or overflow that are rounding, not a fault
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
UNTRANSLATED = re.compile(r"^\[[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+\]$")


@dataclass(frozen=True)
class Drawn:
    """One thing on screen the checks compare: its kind, where it is drawn (clipped),
    and words to name it in a problem."""

    widget: Widget
    kind: str        # "text", "button" or "picture"
    rect: Rect
    name: str


def _window_rect(widget: Widget, x: float, y: float, w: float, h: float) -> Rect:
    x0, y0 = widget.to_window(x, y)
    return (x0, y0, x0 + w, y0 + h)


def _intersect(a: Rect, b: Rect) -> Rect | None:
    r = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return r if r[2] - r[0] > TOLERANCE and r[3] - r[1] > TOLERANCE else None


def _inside(inner: Rect, outer: Rect) -> bool:
    return (inner[0] >= outer[0] - TOLERANCE and inner[1] >= outer[1] - TOLERANCE
            and inner[2] <= outer[2] + TOLERANCE and inner[3] <= outer[3] + TOLERANCE)


def _shown_text(widget: Widget) -> str:
    return str(getattr(widget, "text", "") or "")


def text_rect(label: Label) -> Rect:
    """Where a label's text is drawn: its texture, centred on the label (Kivy's rule)."""
    tw, th = label.texture_size
    return _window_rect(label, label.center_x - tw / 2, label.center_y - th / 2, tw, th)


def picture_rect(image: Widget) -> Rect:
    """Where a picture is drawn: an Image fits its texture into its box, centred."""
    if isinstance(image, Image):
        iw, ih = image.norm_image_size
        return _window_rect(image, image.center_x - iw / 2, image.center_y - ih / 2, iw, ih)
    return _window_rect(image, image.x, image.y, image.width, image.height)


def box_rect(widget: Widget) -> Rect:
    return _window_rect(widget, widget.x, widget.y, widget.width, widget.height)


def _name(widget: Widget) -> str:
    text = _shown_text(widget).strip().replace("\n", " ")
    if text:
        return repr(text[:30])
    source = str(getattr(widget, "source", "") or "")
    return f"{type(widget).__name__}({source.rsplit('/', 1)[-1]})" if source \
        else type(widget).__name__


def _shown(widget: Widget) -> bool:
    return getattr(widget, "opacity", 1) > 0 and not getattr(widget, "disabled", False)


def _walk(root: Widget, screen: Screen | None,
          clip: Rect | None = None) -> Iterator[tuple[Widget, Rect | None]]:
    """Visible widgets under ``root`` with the clip that applies to each (only the shown
    screen of a screen manager)."""
    if not _shown(root):
        return
    yield root, clip
    if isinstance(root, StencilView):
        own = box_rect(root)
        clip = own if clip is None else (_intersect(clip, own) or (0, 0, 0, 0))
    children = list(root.children)
    if screen is not None and root is screen.manager:
        children = [screen]
    for child in reversed(children):   # drawing order: first child last in the list
        yield from _walk(child, screen, clip)


def drawn(roots: list[Widget], screen: Screen | None) -> list[Drawn]:
    """Texts, buttons and pictures as drawn, in drawing order (later = on top)."""
    out: list[Drawn] = []
    for root in reversed(roots):   # Window.children: top-most first
        for widget, clip in _walk(root, screen):
            kinds = []
            if isinstance(widget, ButtonBehavior):
                kinds.append(("button", box_rect(widget)))
            if isinstance(widget, Label) and _shown_text(widget).strip():
                kinds.append(("text", text_rect(widget)))
            elif not isinstance(widget, Label) and getattr(widget, "texture", None) is not None:
                kinds.append(("picture", picture_rect(widget)))
            for kind, rect in kinds:
                shown = rect if clip is None else _intersect(rect, clip)
                if shown is not None:
                    out.append(Drawn(widget, kind, shown, _name(widget)))
    return out


def _related(a: Widget, b: Widget) -> bool:
    for x, y in ((a, b), (b, a)):
        node = x.parent
        while node is not None and node is not Window:
            if node is y:
                return True
            node = node.parent
    return a is b


def text_problems(widgets: list[Widget]) -> list[str]:
    """Placeholders left unformatted and untranslated keys, in what labels show."""
    problems = []
    for w in widgets:
        if not isinstance(w, Label):
            continue
        text = _shown_text(w)
        if PLACEHOLDER.search(text):
            problems.append(f"unformatted placeholder: {text[:40]!r}")
        if UNTRANSLATED.match(text.strip()):
            problems.append(f"untranslated {text.strip()}")
    return problems


def line_problems(widgets: list[Widget]) -> list[str]:
    """Chinese lines as drawn: punctuation opening a line, a character or two alone on
    a paragraph's last line."""
    problems = []
    for w in widgets:
        if not isinstance(w, Label) or not has_cjk(_shown_text(w)):
            continue
        lines = drawn_lines(w)
        if len(lines) < 2:
            continue
        paragraphs = w.text.split("\n")
        for i, line in enumerate(lines):
            if i and line[:1] in CLOSING and lines[i - 1] not in paragraphs:
                problems.append(f"line starts with punctuation: {line[:20]!r}")
        last = lines[-1]
        short = len([c for c in last if c not in CLOSING and not c.isspace()])
        if has_cjk(last) and short <= 2 and last not in paragraphs:
            problems.append(f"a word cut for its last characters: {last!r}")
    return problems


def overflow_problems(widgets: list[Widget]) -> list[str]:
    """Text drawn outside its own label (or button)."""
    problems = []
    for w in widgets:
        if isinstance(w, Label) and _shown_text(w).strip() and not _inside(
                text_rect(w), box_rect(w)):
            problems.append(f"text outside its box: {_name(w)}")
    return problems


def overlap_problems(items: list[Drawn]) -> list[str]:
    """Two drawn things over each other where one is text or a button (a picture over a
    title, a heading under a button, two buttons on top of each other)."""
    problems = []
    for i, top in enumerate(items):
        for below in items[:i]:
            if "text" not in (top.kind, below.kind) and "button" not in (top.kind, below.kind):
                continue   # two pictures: decoration, not a reading problem
            if _related(top.widget, below.widget) or _intersect(top.rect, below.rect) is None:
                continue
            problems.append(f"{top.kind} over {below.kind}: {top.name} over {below.name}")
    return problems


def visible_roots(driver: AppDriver) -> list[Widget]:
    """The window's roots that can be seen: down to the first modal overlay."""
    roots = []
    for root in driver.roots():
        if not _shown(root):
            continue
        roots.append(root)
        if isinstance(root, ModalView):
            break   # it covers everything below on purpose
    return roots


def shot_problems(driver: AppDriver, content_box: Rect | None, content: Widget | None) -> list[str]:
    """Every problem of the shot now on screen (see the module doc)."""
    sm = driver.app.sm
    screen = sm.current_screen if sm is not None else None
    roots = visible_roots(driver)
    widgets = [w for root in roots for w, _clip in _walk(root, screen)]
    problems = text_problems(widgets) + line_problems(widgets) + overflow_problems(widgets)
    problems += overlap_problems(drawn(roots, screen))
    problems += area_problems(driver, widgets, content_box, content)
    return list(dict.fromkeys(problems))  # each once, in order


def area_problems(driver: AppDriver, widgets: list[Widget], box: Rect | None,
                  content: Widget | None) -> list[str]:
    """Texts off the window, outside the content area, or cut by a scroll view."""
    problems = []
    for w in widgets:
        if not isinstance(w, Label) or not _shown_text(w):
            continue
        x, y = w.to_window(w.x, w.y)
        node, in_content, scroll = w.parent, False, None
        while node is not None and node is not Window:
            if scroll is None and isinstance(node, StencilView):
                scroll = node
            in_content |= content is not None and node.uid == content.uid  # ids are proxies
            node = node.parent
        if scroll is not None:
            # Inside a scroll view or a page: clipped, not overlapping; still, a
            # cardholder may not know to scroll, and a cut block is never seen whole.
            sx, sy = scroll.to_window(scroll.x, scroll.y)
            if y < sy - 1 or y + w.height > sy + scroll.height + 1:
                problems.append(f"needs scrolling: {w.text[:30]!r}")
            continue
        if x < -1 or y < -1 or x + w.width > Window.width + 1 or y + w.height > Window.height + 1:
            problems.append(f"off the window: {w.text[:30]!r}")
        elif box and in_content and (
                x < box[0] or y < box[1] or x + w.width > box[2] or y + w.height > box[3]):
            problems.append(f"outside the content area: {w.text[:30]!r}")
    return problems
