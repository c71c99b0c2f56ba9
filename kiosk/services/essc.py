"""Identification by the electronic social security card (e-SSC): a QR code from the
person's phone, read by the 2D scanner, verified by the central service.

One way, like the card readers: a scanner event (any thread) → :meth:`scan_event_sink`
→ the owner's thread → :meth:`on_scan_event` → a background ``verify_essc`` → a new
state. Where it counts:

- on the **start screen** a scanned code identifies the person and leads to the choice
  of journey (``ESSC_CHOOSE``), already identified;
- while a journey **waits for identification** (``IDENTIFY``: pre-loss, status) it
  identifies the person like the ID card does;
- a code that identifies nobody has its own screen (``ESSC_REFUSED``: expired,
  already used, not an e-SSC, revoked, unreadable), from which "scan again" returns.

Anywhere else a scan is ignored. The code is passed to the service and dropped: it is
never put in the session, a state or a log. The service answers the person's cards as
handles that may pre-lose (no ID number reaches the kiosk); no handle cancels
(docs/essc.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kiosk.logs import get_logger
from kiosk.services.adapt import CardInfo, PersonInfo, person_info
from kiosk.services.failures import Failure, FailureKind, error_kind, failure_from_error
from kiosk.services.journey import JourneyContext
from kiosk.services.ports import PersonCards, ScanEvent, ScanEventKind
from kiosk.services.states import (
    EsscChooseView,
    EsscRefusedView,
    IdentifyView,
    Journey,
    State,
    Step,
)

log = get_logger("kiosk.services.essc")

REFUSALS = frozenset({"expired", "already_used", "not_an_essc", "revoked"})
BAD_CODE = "bad_code"  # the scanner read something that is not a code
SCAN_STEPS = frozenset({Step.HOME, Step.IDENTIFY, Step.ESSC_REFUSED})


class EsscIdentification:
    """``ctl.essc`` (:class:`~kiosk.services.journey.EsscIntents`): scanner events in;
    identification, choice and refusals out. Identified, the person goes on in the
    current journey, or (the start screen's choice) in the one chosen, kept identified."""

    def __init__(self, core: JourneyContext,
                 dispatch: Callable[[Callable[[], None]], None],
                 start_over: Callable[[], bool] = lambda: False) -> None:
        self.core = core
        self._dispatch = dispatch
        # One person per session: a scan while someone is identified ends their data
        # and starts over (True), then the code is verified as a new identification.
        self._start_over = start_over
        self.offer = "off"  # off (no scanner) | ready | unavailable
        self._waiting: State | None = None  # where "scan again" returns

    # ---- the scanner ------------------------------------------------------------------
    def scanner_configured(self) -> None:
        """A scanner is configured (the composition root says so); until it reports
        ready, the offer shows as unavailable."""
        self.offer = "unavailable"

    def scan_event_sink(self, event: ScanEvent) -> None:
        """Give this to the scanner: safe to call from any thread."""
        self._dispatch(lambda: self.on_scan_event(event))

    def on_scan_event(self, event: ScanEvent) -> None:
        """A scanner event (owner's thread)."""
        kind = ScanEventKind.parse(event.kind)
        if kind in (ScanEventKind.SCANNER_READY, ScanEventKind.SCANNER_BACK):
            self._set_offer("ready")
        elif kind is ScanEventKind.SCANNER_LOST:
            self._set_offer("unavailable")
        elif kind is ScanEventKind.CODE_SCANNED:
            self.scanned(event.code.text if event.code is not None else "")
        elif kind is ScanEventKind.CODE_REFUSED and self.core.state.step in (
                Step.IDENTIFY, Step.ESSC_REFUSED):
            self._refusal(BAD_CODE, self._from_start(self.core.state))

    def _set_offer(self, offer: str) -> None:
        self.offer = offer
        st = self.core.state
        if st.step == Step.IDENTIFY and isinstance(st.view, IdentifyView) \
                and st.view.essc != offer:
            self.core.publish(Step.IDENTIFY, replace(st.view, essc=offer))

    # ---- a code --------------------------------------------------------------------------
    def scanned(self, code: str) -> None:
        """Verify a scanned code where identification is wanted; ignore it elsewhere.
        While someone is identified, it is a new person (services/one_person.py)."""
        if self.core.state.step not in SCAN_STEPS and self.offer != "off":
            self._start_over()
        st = self.core.state
        if st.step not in SCAN_STEPS or (st.step == Step.HOME and self.offer == "off"):
            log.info("scan ignored", extra={"fields": {"step": st.step.value}})
            return
        from_start = self._from_start(st)
        if st.step != Step.ESSC_REFUSED:
            self._waiting = st

        def handled(exc: BaseException) -> bool:
            code_ = str(getattr(exc, "code", ""))
            if error_kind(exc) is FailureKind.REFUSED and code_ in REFUSALS:
                self._refusal(code_, from_start)
                return True
            # Offline, timeout…: retrying would resend a code that may be spent already;
            # "try again" goes back to scanning a fresh one.
            failure = failure_from_error(exc, self.core.hotline)
            self.core.fail(Failure(failure.kind, failure.params, True), retry=self.again)
            return True

        self.core.call("verify_essc", lambda: self.core.central.verify_essc(code),
                       lambda result: self._verified(result, from_start),
                       "essc.busy.checking", on_error=handled)

    def _from_start(self, st: State) -> bool:
        if st.step == Step.ESSC_REFUSED and isinstance(st.view, EsscRefusedView):
            return st.view.from_start
        return st.step == Step.HOME

    def _refusal(self, refusal: str, from_start: bool) -> None:
        log.info("e-SSC refused", extra={"fields": {"refusal": refusal}})
        self.core.publish(Step.ESSC_REFUSED, EsscRefusedView(refusal, from_start))

    def _verified(self, result: PersonCards, from_start: bool) -> None:
        session = self.core.session
        session.person = person_info(result, "")  # handles that may pre-lose; no ID number
        if from_start:
            self.core.publish(Step.ESSC_CHOOSE, EsscChooseView(
                session.person.masked_name, self.core.settings.features.cancel_pre_loss))
        else:
            self.core.identified()

    # ---- intents ---------------------------------------------------------------------------
    def again(self) -> None:
        """"Scan again" (a refusal, a failed check): back where the code was scanned."""
        waiting, self._waiting = self._waiting, None
        if waiting is None or waiting.step == Step.HOME:
            self.core.end()
        else:
            self.core.restore(waiting)

    def choose(self, journey: str) -> None:
        """The start screen's choice after an e-SSC scan: pre-loss and status go on with
        the person identified; cancelling needs the cards, so it starts afresh (the
        core's ``identified`` decides by the journey registry)."""
        if self.core.state.step != Step.ESSC_CHOOSE:
            return
        self.core.identified(Journey(journey))


def status_card(person: PersonInfo | None) -> str | None:
    """The handle of the card whose replacement to look up: one with a replacement, else
    a lost one, else the first (None without cards)."""
    cards: tuple[CardInfo, ...] = person.cards if person else ()
    for wanted in (lambda c: c.has_replacement, lambda c: c.state == "lost", lambda c: True):
        for card in cards:
            if wanted(card):
                return card.handle
    return None
