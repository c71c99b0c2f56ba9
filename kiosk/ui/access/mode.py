"""``app.access``: the accessibility keypad, non-visual mode and what the kiosk says.

The lock-down (kiosk/ui/lockdown.py) hands over exactly the keys of ``access.keys`` and
the digits (:meth:`Access.key_down`); every other key is swallowed there. Here:

- The **first key press** of a session turns non-visual mode on (``app.nonvisual``):
  speech on, the focus ring, every timeout ``access.timeout_factor`` times longer (the
  inactivity warning and the card waits). It is said at once, with the screen. The help
  key also calls staff on that first press. A session end turns the mode off.
- Each **view** (a screen, or a modal panel over it) is announced when it appears: its
  title, what it is for (``access.purpose.<screen>``), how many choices it has, then the
  first element, which takes the focus. A change on the same view (a journey's new
  state, a pressed button, a staff call's answer) says the texts that changed.
- **Focus**: next/previous move through the elements (:mod:`.elements`), each said with
  its label and state; activate presses a button (or says a text again); back goes one
  step back (or deletes the last digit typed, or closes a panel); repeat says the last
  utterance again; slower/faster change the speech rate.
- **Digits** type into the screen's number keypad; what is said is "digit 3 of 6",
  never the digit (a PIN, an ID number).
- Every key interrupts what is being said.
- **Headphones** (a jack source in the parts): speech goes to them, and non-visual
  mode is offered at once.

What is said goes through :class:`~kiosk.ui.access.voice.Voice` (catalog keys, masked,
logged as one ``speech`` event per utterance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.widget import Widget

from kiosk.domain.keypad import KeyAction
from kiosk.i18n import catalog
from kiosk.logs import get_logger
from kiosk.services.ports import JackState
from kiosk.ui.access import elements
from kiosk.ui.access.keys import KeyMap
from kiosk.ui.access.ring import FocusRing
from kiosk.ui.access.voice import Say, Utterance, Voice
from kiosk.ui.widgets.buttons import KButton
from kiosk.ui.widgets.pager import PagedView
from kiosk.ui.widgets.text import KLabel

if TYPE_CHECKING:
    from kiosk.services.staff_call import HelpStatus
    from kiosk.services.states import State
    from kiosk.ui.app_protocol import UiApp
    from kiosk.ui.parts import AppParts, Speech

log = get_logger("kiosk.access")


class Access:
    """The keypad and voice of one app (see the module doc)."""

    def __init__(self, app: UiApp) -> None:
        self.app = app
        self.settings = app.settings
        self.keymap = KeyMap.from_settings(app.settings)
        self.voice = Voice(self._translate, self._speaker)
        self.ring = FocusRing()
        self.focused: Widget | None = None
        self.presses = 0  # keypad keys handled (tests, diagnostics)
        self._view: tuple[str, int] = ("", 0)
        self._texts: dict[int, tuple[Widget, str]] = {}
        self._parts: AppParts | None = None
        self._look = Clock.create_trigger(self._look_now, 0)
        app.bind(nonvisual=self._on_mode, lang=lambda *_: self._on_lang())
        Window.bind(children=lambda *_: self.changed())

    # ---- wiring -----------------------------------------------------------------------

    def attach(self, parts: AppParts | None) -> None:
        """Follow ``parts``' controller, staff call and headphones (the app's parts)."""
        old = self._parts
        if old is not None:
            old.controller.unsubscribe(self._on_state)
            if old.staff_call is not None:
                old.staff_call.unsubscribe(self._on_help)
            if old.jack_events is not None:
                old.jack_events.connect(lambda _state: None)
        self._parts = parts
        if parts is None:
            return
        parts.controller.subscribe(self._on_state)
        if parts.staff_call is not None:
            parts.staff_call.subscribe(self._on_help)
        if parts.jack_events is not None:
            parts.jack_events.connect(
                lambda state: Clock.schedule_once(lambda _dt: self.on_jack(state), 0))

    def screen_changed(self, *_: object) -> None:
        """The screen manager showed another screen (bound by the app)."""
        self.changed()

    def changed(self) -> None:
        """Something on screen may have changed: look at the next frame."""
        if self.app.nonvisual:
            self._look()

    # ---- keys -------------------------------------------------------------------------

    def lets_through(self, code: int, modifiers: list[str]) -> bool:
        """Whether a key is the keypad's (the lock-down asks)."""
        return self.keymap.lets_through(code, modifiers)

    def key_down(self, code: int, modifiers: list[str]) -> None:
        """A keypad key was pressed (see the module doc)."""
        action = self.keymap.action(code, modifiers)
        digit = None if action is not None else self.keymap.digit(code, modifiers)
        if action is None and digit is None:
            return
        self.presses += 1
        self.app.idle.touch()
        self.voice.stop()  # the next key interrupts speech
        if not self.app.nonvisual:
            self.app.nonvisual = True  # announces the mode and the view
            if action is KeyAction.HELP:
                self.call_staff()
            return
        if digit is not None:
            self._type(digit)
        elif action in (KeyAction.NEXT, KeyAction.PREVIOUS):
            self.move(1 if action is KeyAction.NEXT else -1)
        elif action is KeyAction.ACTIVATE:
            self.activate()
        elif action is KeyAction.BACK:
            self.back()
        elif action is KeyAction.HELP:
            self.call_staff()
        elif action is KeyAction.REPEAT:
            if self.voice.repeat() is None:
                self.announce_view()
        elif action in (KeyAction.SLOWER, KeyAction.FASTER):
            self._rate(-1 if action is KeyAction.SLOWER else 1)

    # ---- actions ----------------------------------------------------------------------

    def move(self, step: int) -> None:
        """Focus the next (+1) or previous (-1) element, wrapping, and say it."""
        items = elements.stops(self.app)
        if not items:
            self.say("focus", [Say("access.screen.empty")])
            return
        if self.focused in items:
            index = (items.index(self.focused) + step) % len(items)
        else:
            index = 0 if step > 0 else len(items) - 1
        turned = self._turn_page(items, index, step)
        self.focus(turned if turned is not None else items[index])

    def _turn_page(self, items: list[Widget], index: int, step: int) -> Widget | None:
        """Reading on through paged content turns the page: Down from a page's last
        element shows the next page and focuses its first; Up from a later page's first
        element shows the previous page and focuses its last. None: no page turned."""
        paged = _paged_of(self.focused)
        if paged is None:
            return None
        inside = [w for w in items if _paged_of(w) is paged]
        if not inside:
            return None
        if step > 0 and self.focused is inside[-1] and paged.page < paged.count - 1:
            paged.turn(1)
            fresh = [w for w in elements.stops(self.app) if _paged_of(w) is paged]
            return fresh[0] if fresh else None
        if step < 0 and self.focused is inside[0] and paged.page > 0:
            paged.turn(-1)
            fresh = [w for w in elements.stops(self.app) if _paged_of(w) is paged]
            return fresh[-1] if fresh else None
        return None

    def focus(self, widget: Widget, *, quiet: bool = False) -> None:
        """Put the focus (and the ring) on ``widget`` and say it."""
        self.focused = widget
        self.ring.follow(widget)
        if not quiet:
            self.say("focus", elements.describe(widget, self.app))

    def activate(self) -> None:
        """Press the focused button (a text: say it again)."""
        widget = self.focused
        if widget is None or widget not in elements.stops(self.app):
            self.move(1)
            return
        if isinstance(widget, ButtonBehavior):
            self.say("focus", [Say("access.pressed")] + elements.describe(widget, self.app))
            widget.trigger_action(duration=0)
            self.changed()
        else:
            self.say("focus", elements.describe(widget, self.app))

    def back(self) -> None:
        """Delete the last digit typed; else close the panel; else the screen's back."""
        keypad = self._keypad()
        if keypad is not None and keypad.value:
            keypad.delete()
            self.say("digit", [Say("access.digit.deleted",
                                   {"count": len(keypad.value),
                                    "total": int(keypad.max_length)})])
            return
        modal = elements.open_modal()
        if modal is not None:
            close = getattr(modal, "access_back", None)
            if callable(close):
                close()
                self.changed()
            return
        assert self.app.sm is not None  # keys reach the keypad once the window is built
        screen = self.app.sm.current_screen
        if getattr(screen, "show_back", False):
            self.app.back()  # the one back, as the back button's (kiosk/ui/navigation.py)
            self.changed()
        else:
            self.say("notice", [Say("access.back.none")])

    def call_staff(self) -> None:
        """The help key, or the "call staff" button: call staff now."""
        self.app.call_staff()

    def _type(self, digit: str) -> None:
        keypad = self._keypad()
        if keypad is None:
            self.say("digit", [Say("access.digit.none")])
            return
        before = len(keypad.value)
        keypad.press(digit)
        count, total = len(keypad.value), int(keypad.max_length)
        if count == before and count < total:  # an X where no X is asked for
            self.say("digit", [Say("access.digit.no_x")])
        elif count == before:
            self.say("digit", [Say("access.digit.full", {"total": total})])
        else:
            # Never the digit itself: a PIN or an ID number must not be heard.
            self.say("digit", [Say("access.digit.typed", {"count": count, "total": total})])

    def _keypad(self) -> Widget | None:
        """The shown screen's number keypad (``access_keypad = True``), if any."""
        if elements.open_modal() is not None or self.app.sm is None:
            return None
        for w in self.app.sm.current_screen.walk(restrict=True):
            if getattr(w, "access_keypad", False) and elements.shown(w):
                return w
        return None

    def _rate(self, direction: int) -> None:
        speaker = self._speaker()
        step = self.settings.access.rate_step
        if speaker is not None:
            before = speaker.rate
            after = speaker.set_rate(before + direction * step)
            key = ("access.rate.slower" if direction < 0 else "access.rate.faster") \
                if after != before else ("access.rate.slowest" if direction < 0
                                         else "access.rate.fastest")
        else:
            key = "access.rate.slower" if direction < 0 else "access.rate.faster"
        self.say("rate", [Say(key)])

    # ---- what is said -----------------------------------------------------------------

    def say(self, kind: str, parts: list[Say]) -> str:
        """Say ``parts`` now, in the app's language (interrupting what plays)."""
        return self.voice.say(Utterance(kind, tuple(parts), self._screen_name()),
                              self.app.lang)

    def announce_view(self, prefix: list[Say] | None = None) -> None:
        """Title, purpose, number of choices, and the first element (which takes focus);
        after ``prefix`` when given."""
        items = elements.stops(self.app)
        modal = elements.open_modal()
        parts: list[Say] = list(prefix or [])
        if modal is not None:
            first = self._modal_focus(items)
            parts += [elements._said(w) for w in items if isinstance(w, KLabel)]
        else:
            assert self.app.sm is not None  # a view is announced once the window is built
            screen = self.app.sm.current_screen
            header = screen.frame.ids.header
            parts.append(elements._said(header.title_label))
            purpose = f"access.purpose.{screen.name}"
            if purpose in catalog(self.app.lang):
                parts.append(Say(purpose))
            first = items[0] if items else None
        parts.append(Say("access.screen.choices", {"count": elements.choices(items)}))
        if first is not None:
            self.focused = first
            self.ring.follow(first)
            parts += elements.describe(first, self.app)
        else:
            self.ring.hide()
            self.focused = None
        self._texts = elements.text_blocks(self.app)
        self.voice.say(Utterance("screen", tuple(parts), self._screen_name()),
                       self.app.lang)

    def _modal_focus(self, items: list[Widget]) -> Widget | None:
        buttons = [w for w in items if isinstance(w, ButtonBehavior)]
        primary = [w for w in buttons if isinstance(w, KButton) and w.variant == "primary"]
        return (primary or buttons or items or [None])[0]

    def _look_now(self, *_: object) -> None:
        """Announce a new view; on the same view, say what changed."""
        if not self.app.nonvisual or self.app.sm is None:
            return
        modal = elements.open_modal()
        view = (self.app.sm.current, id(modal) if modal is not None else 0)
        if view != self._view:
            self._view = view
            self.announce_view()
            return
        now = elements.text_blocks(self.app)
        changed = [w for uid, (w, text) in now.items()
                   if uid not in self._texts or self._texts[uid][1] != text]
        self._texts = now
        items = elements.stops(self.app)
        if self.focused not in items:
            self.focused = items[0] if items else None
            self.ring.follow(self.focused)
        else:
            self.ring.refresh()
        if changed:
            self.say("notice", [elements._said(w) for w in changed])

    def _screen_name(self) -> str:
        sm = self.app.sm
        return str(sm.current) if sm is not None else ""

    # ---- mode -------------------------------------------------------------------------

    def _on_mode(self, _app: object, on: bool) -> None:
        factor = self.settings.access.timeout_factor if on else 1.0
        s = self.settings.session
        self.app.inactivity.configure(s.inactivity_seconds * factor,
                                      s.warning_seconds * factor)
        if self._parts is not None:
            self._parts.controller.waits.time_factor = factor
        log.info("non-visual mode", extra={"fields": {"on": on}})
        if on:
            modal = elements.open_modal()
            self._view = (self._screen_name(), id(modal) if modal is not None else 0)
            self.announce_view(prefix=[Say("access.mode.on")])
        else:
            self.ring.hide()
            self.focused = None
            self._view = ("", 0)
            self._texts = {}
            self.voice.forget()
            speaker = self._speaker()
            if speaker is not None:
                speaker.set_rate(self.settings.speech.rate)

    def _on_lang(self) -> None:
        if self.app.nonvisual:
            self._view = ("", 0)
            self._look()

    def _on_state(self, _state: State) -> None:
        self.changed()

    def _on_help(self, _status: HelpStatus) -> None:
        self.changed()

    # ---- headphones -------------------------------------------------------------------

    def on_jack(self, state: JackState) -> None:
        """Headphones in: speech to them, non-visual mode offered; out: the loudspeaker."""
        speaker = self._speaker()
        plugged = state is JackState.PLUGGED
        if speaker is not None:
            speaker.route("headphones" if plugged else "speaker")
        was = self.app.headphones
        self.app.headphones = plugged
        if plugged and not was:
            key = "access.headphones.now" if self.app.nonvisual else "access.headphones.offer"
            self.say("notice", [Say(key)])
        elif was and not plugged and self.app.nonvisual:
            self.say("notice", [Say("access.headphones.out")])

    # ---- plumbing ---------------------------------------------------------------------

    def _speaker(self) -> Speech | None:
        parts = self.app.parts
        return parts.speaker if parts is not None else None

    def _translate(self, key: str, language: str, **values: object) -> str:
        return str(self.app.tr(key, language, **values))


def _paged_of(widget: Widget | None) -> PagedView | None:
    """The paged view whose page shows ``widget`` (not its page buttons), or None."""
    node = widget.parent if widget is not None else None
    child: Widget | None = widget
    while node is not None and node is not Window:
        if isinstance(node, PagedView):
            return node if child is not node._bar else None
        child, node = node, node.parent
    return None
