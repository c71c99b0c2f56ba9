"""No silent waits at a "place/insert your card" step.

The controller's helper for the steps that can only go on with a card reader:

- it knows whether a reader for the step is there and whether the card service is up,
  and says so (``no_reader`` / ``reader_service``) instead of waiting: at once when the
  step starts, and when a reader or the service goes away during the step, once that
  has lasted ``session.reader_grace_seconds`` (a pcscd restart takes about half a second
  and must not flash a red screen);
- when the reader or the service is back, the waiting step is shown again by itself;
- each such wait has a limit (``session.card_wait_seconds``), then ``card_wait``;
- the failures name the other ways in: the keypad where the journey and the site allow
  it (a button on the failure screen), else the counter and the hotline.

Runs on the owner's thread; the wait limit's timer hops back through the dispatcher.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from kiosk.services.failures import Failure, FailureKind
from kiosk.services.journey import WaitsContext
from kiosk.services.ports import CardEventKind, Slot
from kiosk.services.states import Journey, State, Step

# Steps that can only go on with a card reader (the keypad steps do not need one).
NEEDS_READER = frozenset({Step.IDENTIFY, Step.CANCEL_INSERT_SSC, Step.CANCEL_INSERT_ID})
# Card hub events after which the readers are worth looking at again.
READER_EVENTS = frozenset({CardEventKind.READERS_CHANGED, CardEventKind.SERVICE_UP})
# Failures about the way in: they go away by themselves when the reader or service does.
READER_FAILURES = frozenset({FailureKind.NO_READER, FailureKind.READER_SERVICE})


class CardWaits:
    """Reader and card-service awareness, and the wait limit, for the card steps."""

    def __init__(self, core: WaitsContext,
                 dispatch: Callable[[Callable[[], None]], None]) -> None:
        self.core = core
        self._dispatch = dispatch
        self._service_down = False  # the card service said it is down (until it is up)
        self._timer: threading.Timer | None = None
        self._grace: threading.Timer | None = None  # a reader failure, if it lasts
        # Non-visual mode (the accessibility keypad) waits longer: access.timeout_factor.
        self.time_factor = 1.0

    @property
    def limit_seconds(self) -> float:
        """How long a card step waits for a card now, in seconds as said on screen.

        Whole seconds come back as an ``int`` (shown "90", not "90.0"); a fraction is
        kept (rounded to a tenth), never rounded to a shorter or zero wait.
        """
        exact = float(self.core.settings.session.card_wait_seconds) * self.time_factor
        return int(exact) if exact.is_integer() else round(exact, 1)

    # ---- the wait limit -------------------------------------------------------------
    def arm(self) -> None:
        """After every state change: a card step gets a fresh limit; others none."""
        self.stop()
        st = self.core.state
        if st.step not in NEEDS_READER:
            return
        seq, limit = st.seq, self.limit_seconds
        timer = threading.Timer(limit, lambda: self._dispatch(lambda: self._over(seq)))
        timer.daemon = True
        timer.start()
        self._timer = timer

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _over(self, seq: int) -> None:
        st = self.core.state
        if st.seq == seq and st.step in NEEDS_READER:
            self.core.fail_kind(FailureKind.CARD_WAIT, retry_to=st,
                                seconds=self.limit_seconds)

    # ---- the other ways in ------------------------------------------------------------
    def keypad_allowed(self, waiting: State) -> bool:
        """Whether typing the ID number is a way in from ``waiting`` (identify steps of
        pre-loss and status, where the site allows the keypad)."""
        return (waiting.step == Step.IDENTIFY
                and self.core.settings.features.keypad_identify
                and waiting.journey in (Journey.PRE_LOSS, Journey.STATUS))

    def use_keypad_instead(self) -> None:
        """From a failure about the way in: the keypad (where allowed)."""
        st, waiting = self.core.state, self.core.waiting_behind_failure()
        failure: Failure | None = st.failure
        if (failure is not None and failure.offers_keypad and waiting is not None
                and self.keypad_allowed(waiting)):
            self.core.forget_failure()
            self.core.restore(waiting)
            self.core.identify.use_keypad()

    # ---- readers and the card service ---------------------------------------------------
    def note(self, kind: CardEventKind) -> None:
        """Every card hub event, whatever the step: remember the service's state."""
        if kind is CardEventKind.SERVICE_DOWN:
            self._service_down = True
        elif kind is CardEventKind.SERVICE_UP:
            self._service_down = False

    def after_event(self, kind: CardEventKind, waiting: bool) -> None:
        """After a card hub event was handled (``waiting``: at a step that waits for a
        card): the card service down is a failure there; the readers are looked at again
        when they or the service changed."""
        if waiting and kind is CardEventKind.SERVICE_DOWN:
            self._fail_if_it_lasts()
        if kind in READER_EVENTS:
            self.check(at_once=False)   # a change under way: said only if it lasts

    def _fail_if_it_lasts(self) -> None:
        """A reader problem at a card step: look again after the grace period and say it
        then if it is still there (one look pending at a time)."""
        grace = self.core.settings.session.reader_grace_seconds
        if grace <= 0:
            self.check(at_once=True)
            return
        if self._grace is not None:
            return
        timer = threading.Timer(grace, lambda: self._dispatch(self._grace_over))
        timer.daemon = True
        timer.start()
        self._grace = timer

    def _grace_over(self) -> None:
        self._grace = None
        self.check(at_once=True)

    def slots_needed(self, step: Step) -> frozenset[Slot]:
        """Slots any of which can take the card this step waits for (empty: no check)."""
        if step == Step.CANCEL_INSERT_SSC:
            slots = {Slot.SSC}
        elif step == Step.IDENTIFY and self.core.state.journey == Journey.STATUS:
            slots = {Slot.ID, Slot.SSC}
        else:
            slots = {Slot.ID}
        if self.core.settings.cards.id_reader == "none":  # by design: the keypad is the way
            slots.discard(Slot.ID)
        return frozenset(slots)

    def service_down(self) -> bool:
        """The card service is down: it said so, or the hub's snapshot says so."""
        if self._service_down:
            return True
        snapshot = getattr(self.core.readers, "snapshot", None)
        try:
            if not callable(snapshot):
                return False
            found = snapshot()
            return isinstance(found, Mapping) and found.get("service") == "down"
        except Exception:  # a diagnostics view must not break a journey
            return False

    def check(self, at_once: bool = True) -> None:
        """While waiting for a card that no reader can take, or with the card service
        down, say so: at once when a step starts or is tried again (it is known), after
        the grace period when a reader event just changed things (``at_once=False``: see
        the module doc); when the reader or service is back, wait again."""
        readers = self.core.readers
        present = readers.reader_slots() if readers is not None else None
        st = self.core.state
        if present is None:
            # Unknown (no hub, or not listed yet), unless the service is known down.
            if st.step in NEEDS_READER and self.service_down():
                self._fail(FailureKind.READER_SERVICE, st, at_once)
            return
        waiting = self.core.waiting_behind_failure()
        if st.step in NEEDS_READER:
            needed = self.slots_needed(st.step)
            if needed and not present & needed:
                kind = FailureKind.READER_SERVICE if self.service_down() \
                    else FailureKind.NO_READER
                self._fail(kind, st, at_once)
            elif self.service_down():
                self._fail(FailureKind.READER_SERVICE, st, at_once)
        elif (st.failure is not None and st.failure.kind in READER_FAILURES
              and waiting is not None and waiting.step in NEEDS_READER):
            if present & self.slots_needed(waiting.step):
                self.core.forget_failure()
                self.core.restore(waiting)
            elif st.failure.kind is FailureKind.READER_SERVICE:
                self.core.fail_kind(FailureKind.NO_READER, retry_to=waiting)

    def _fail(self, kind: FailureKind, waiting: State, at_once: bool) -> None:
        if at_once:
            self.core.fail_kind(kind, retry_to=waiting)
        else:
            self._fail_if_it_lasts()
