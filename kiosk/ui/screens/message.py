"""A generic message / error screen: title, plain-words body, what to do next, buttons.

Use it for every failure the cardholder must understand::

    from kiosk.ui.screens.message import MessageButton, MessageSpec
    app.show_message(MessageSpec(
        title_key="cards.error.unreadable.title", body_key="cards.error.unreadable.body",
        next_key="cards.error.unreadable.next", values={"minutes": 5},
        buttons=(MessageButton("app.retry", "pre_loss"), MessageButton("app.home", "home"))))

Texts are i18n keys (so they re-render on a language switch); ``values`` fill their
placeholders (``{hotline}`` and ``{region}`` are always available). A button's
``action`` is a screen name, ``"home"`` (ends the session), ``"back"``, or a callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (KScrollView)
from kiosk.ui.screen_base import KioskScreen, load_kv
from kiosk.ui.widgets.buttons import KButton


@dataclass(frozen=True)
class MessageButton:
    label_key: str
    action: str | Callable[[], None] = "home"
    variant: str = "primary"


@dataclass(frozen=True)
class MessageSpec:
    title_key: str
    body_key: str
    next_key: str = ""
    values: dict[str, object] = field(default_factory=dict)
    tone: str = "error"   # "error" (danger banner) or "info"
    buttons: tuple[MessageButton, ...] = (MessageButton("app.home", "home"),)


GENERIC_ERROR = MessageSpec("error.generic.title", "error.generic.body", "error.generic.next")


class MessageScreen(KioskScreen):
    """Shows one :class:`MessageSpec`; ``app.show_message(spec)`` opens it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.spec = GENERIC_ERROR
        # Buttons are made once and reused: each new KButton leaves its kv bindings
        # (app.lang, theme) on the app for as long as the app lives.
        self._pool: list[KButton] = []
        self._render()

    def prepare(self, spec: MessageSpec | None = None, **params: object) -> None:
        if params:
            raise TypeError(f"MessageScreen takes spec=, got {sorted(params)}")
        self.spec = spec or GENERIC_ERROR
        self._render()

    def reset(self) -> None:
        self.spec = GENERIC_ERROR
        self._render()

    def tour_states(self) -> dict[str, Callable[[], None]]:
        info = MessageSpec("placeholder.title", "placeholder.body", "placeholder.next",
                           tone="info", buttons=(MessageButton("app.back", "back", "secondary"),
                                                 MessageButton("app.home", "home")))
        return {"error": lambda: self.prepare(GENERIC_ERROR),
                "info": lambda: self.prepare(info)}

    def _render(self) -> None:
        spec = self.spec
        ids = self.ids
        self.title_key = "app.title"  # the banner below carries the message title
        ids.banner.tone_bg = "danger_bg" if spec.tone == "error" else "info_bg"
        ids.title.tone = "danger_text" if spec.tone == "error" else "info_text"
        for label, key in ((ids.title, spec.title_key), (ids.body, spec.body_key),
                           (ids.next, spec.next_key)):
            label.key = ""
            label.values = dict(spec.values)
            label.key = key
            label.text = label.text if key else ""
        ids.next_heading.opacity = 1 if spec.next_key else 0
        # The navigation bar would repeat the message's own back/home buttons.
        actions = {b.action for b in spec.buttons if isinstance(b.action, str)}
        self.show_home = "home" not in actions
        self.show_back = "back" not in actions
        ids.buttons.clear_widgets()
        for i, b in enumerate(spec.buttons):
            if i == len(self._pool):
                button = KButton()
                button.bind(on_release=lambda _w, i=i: self._act(self.spec.buttons[i].action))
                self._pool.append(button)
            button = self._pool[i]
            button.key, button.variant = b.label_key, b.variant
            ids.buttons.add_widget(button)

    def _act(self, action: str | Callable[[], None]) -> None:
        if callable(action):
            action()
        elif action == "home":
            self.app.go_home()
        elif action == "back":
            self.app.back()
        else:
            self.app.go(action)


load_kv(__file__)
