"""Real window + private pcscd with virtual cards + sandbox over HTTP, for the journeys.

``journey`` (function): the session's app at the attract screen, given parts built by
the composition root (:func:`kiosk.composition.parts.build_kiosk`) on real parts —
CentralClient on the sandbox, SQLite outbox and sender, CardHub on the private pcscd
(virtual slots), dummy receipt printer; its own parts are given back afterwards.
``journey.ui`` is the AppDriver.

Waits are on conditions, never on a duration: :meth:`Journey.lift` and
:meth:`Journey.place` wait until the controller has handled the card's removal or read
(:func:`watch`), so "and nothing happened" is asserted after the thing that could have
happened did; :attr:`Journey.calls` are the background calls the controller started.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kiosk.composition.parts import build_kiosk
from kiosk.config import Settings


@dataclass
class Journey:
    ui: Any
    parts: Any
    slots: Any
    sandbox: Any
    pcscd: Any
    settings: Settings
    baseline: tuple[int, int] = (0, 0)  # seeded pre-losses and cancellations
    # (kind, slot) of every card event the controller handled, in order (see watch()).
    card_events: list[tuple[str, str]] = field(default_factory=list)
    calls: list[Any] = field(default_factory=list)  # the controller's background calls

    def new_pre_losses(self) -> list[dict[str, Any]]:
        """Pre-losses the sandbox recorded during this test (the seed has some)."""
        return self.sandbox.store.recorded_pre_losses()[self.baseline[0]:]

    def new_cancellations(self) -> list[dict[str, Any]]:
        return self.sandbox.store.recorded_cancellations()[self.baseline[1]:]

    @property
    def app(self) -> Any:
        return self.ui.app

    @property
    def ctl(self) -> Any:
        return self.parts.controller

    def screen(self, name: str, timeout: float = 8.0) -> Any:
        return self.ui.wait_for_screen(name, timeout)

    def shown(self, **criteria: Any) -> Any:
        """The visible widget (on the current screen) matching; fails if none."""
        return self.ui.find(root=self.app.sm.current_screen, **criteria)

    def tap(self, **criteria: Any) -> Any:
        return self.ui.tap(self.shown(**criteria))

    def type_digits(self, digits: str) -> None:
        from kiosk.ui.widgets.buttons import KButton

        screen = self.app.sm.current_screen
        for ch in digits:
            self.ui.tap(self.ui.find(root=screen, text=ch, cls=KButton))

    def lift(self, slot: str, timeout: float = 8.0) -> None:
        """Take the card off ``slot``'s reader (once its read was handled); return once
        the controller handled the removal. A card that pulled itself out mid-read is
        removed already: its removal is the one waited for."""
        self.slots.remove(slot)

        def removed() -> bool:
            kinds = [k for k, s in self.card_events if s == slot]
            return bool(kinds) and kinds[-1] == "card_removed"
        self.ui.wait_until(removed, timeout, f"the {slot} card's removal handled")
        self.ui.drain()  # and whatever it handed to the UI thread has run

    def place(self, persona: str, slot: str, timeout: float = 8.0) -> None:
        """Put ``persona``'s card on ``slot``'s reader; return once the controller handled
        its read (or the failed read)."""
        mark = len(self.card_events)
        self.slots.insert(persona, slot)
        self.ui.wait_until(lambda: {("card_read", slot), ("card_failed", slot)}
                           & set(self.card_events[mark:]), timeout,
                           f"the {slot} card's read handled")
        self.ui.drain()

    def calls_ended(self, timeout: float = 10.0) -> None:
        """Wait until every background call the controller started has ended (its
        outcome delivered, or dropped if it was cancelled), and that is drawn."""
        self.ui.wait_until(lambda: all(task.done for task in self.calls), timeout,
                           "the background calls to end")
        self.ui.drain()

    def texts(self) -> str:
        """All text on the current screen, joined (for 'contains' assertions)."""
        return "\n".join(str(getattr(w, "text", "")) for w in
                         self.ui.walk(self.app.sm.current_screen)
                         if self.ui.is_visible(w) and getattr(w, "text", ""))

    # -- the pre-loss journey's common path -------------------------------------------
    def open_pre_loss(self) -> None:
        """From the start screen: the pre-loss journey, waiting for the ID card."""
        self.ui.tap(key="attract.pre_loss")
        self.screen("pre_loss")

    def show_cards(self, persona: str = "normal") -> None:
        """Pre-loss, identified by ``persona``'s ID card: their cards on screen."""
        self.open_pre_loss()
        self.slots.insert(persona, "id")
        self.screen("pre_loss_cards")

    def choose_card(self, persona: str = "normal") -> None:
        """Pre-loss up to the consequences of the first card (not confirmed yet)."""
        self.show_cards(persona)
        self.tap(key="journeys.cards.choose")
        self.screen("pre_loss_consequences")

    def confirm_queued(self) -> list[Any]:
        """Confirm while the service cannot take it: the pending screen says it is not in
        effect, the request is queued under this session's key and a pending receipt is
        printed. Returns the queued items."""
        self.tap(key="journeys.consequences.confirm")
        self.screen("pre_loss_pending", 15)
        texts = self.texts()
        assert "还没有生效" in texts and "96102" in texts
        assert self.new_pre_losses() == []
        items = self.parts.outbox.pending()
        assert len(items) == 1 and items[0].idempotency_key == self.ctl.session.idempotency_key
        self.ui.wait_until(lambda: self.parts.printer.output, 5, "the pending receipt")
        return items

    def failure(self, kind: str, timeout: float = 8.0) -> Any:
        self.screen("journey_failure", timeout)
        # Another failure may show first (the card service down, then no reader).
        key = f"journeys.failure.{kind}.title"
        self.ui.wait_until(lambda: self.ui.find_all(root=self.app.sm.current_screen, key=key),
                           timeout, f"failure {kind}")
        return self.shown(key=key)


def watch(parts: Any) -> tuple[list[tuple[str, str]], list[Any]]:
    """Record, on the UI thread, each card event once the controller has handled it, and
    each background call it starts (the tasks). Only observes: the parts are the
    composition root's, unchanged."""
    controller = parts.controller
    events: list[tuple[str, str]] = []
    calls: list[Any] = []
    handle, run = controller.on_card_event, controller.worker.run

    def on_card_event(event: Any) -> None:
        handle(event)
        events.append((str(event.kind), str(event.slot)))

    def submit(*args: Any, **kwargs: Any) -> Any:
        task = run(*args, **kwargs)
        calls.append(task)
        return task

    controller.on_card_event = on_card_event
    controller.worker.run = submit
    return events, calls


def readers_listed(ui: Any, parts: Any) -> None:
    """Wait until the hub has seen both (empty) readers: a test inserts nothing before."""
    ui.wait_until(lambda: len(parts.hub.snapshot().get("readers", [])) >= 2, 10,
                  "the hub listing both readers")


@pytest.fixture
def e2e_settings(central_settings: Settings) -> Settings:
    s = central_settings
    return dataclasses.replace(
        s,
        kiosk=dataclasses.replace(s.kiosk, site="outlet"),
        features=dataclasses.replace(s.features, cancel_pre_loss=True, keypad_identify=True),
        cards=dataclasses.replace(s.cards, id_reader="pcsc", ssc_reader="",
                                  id_pcsc_reader=""),
        printer=dataclasses.replace(s.printer, kind="dummy"),
        central=dataclasses.replace(s.central, retries=1, read_timeout=6.0))


@pytest.fixture
def journey(kiosk_ui: Any, e2e_settings: Settings, virtual_slots: Any, sandbox: Any,
            pcscd_alive: Any) -> Iterator[Journey]:
    from kiosk.ui.journeys.bridge import kivy_dispatch

    app = kiosk_ui.app
    parts = build_kiosk(e2e_settings, kivy_dispatch, speech=False)
    events, calls = watch(parts)
    own = app.use_parts(parts)
    parts.start()
    readers_listed(kiosk_ui, parts)
    baseline = (len(sandbox.store.recorded_pre_losses()),
                len(sandbox.store.recorded_cancellations()))
    try:
        yield Journey(kiosk_ui, parts, virtual_slots, sandbox, pcscd_alive, e2e_settings,
                      baseline, events, calls)
    finally:
        app.use_parts(own)
        parts.stop()
