"""Pre-loss steps: the person's cards, consequences, submit, result or queue, receipt."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from kiosk import metrics
from kiosk.calendar_source import calendar_for
from kiosk.config import Settings
from kiosk.domain.clock import to_region
from kiosk.domain.receipts import PreLossReceipt, ReceiptStatus
from kiosk.logs import get_logger
from kiosk.services.adapt import CardInfo, pre_loss_info
from kiosk.services.failures import (
    RETRYABLE,
    Failure,
    FailureKind,
    error_kind,
    failure_from_error,
    printer_error_kind,
)
from kiosk.services.journey import JourneyContext
from kiosk.services.ports import CentralPort, OutboundRequest, PreLossResult
from kiosk.services.states import CardChoice, CardsView, ConsequencesView, PreLossView, Step
from kiosk.services.tasks import Outcome

log = get_logger("kiosk.services.pre_loss")
# Errors after which a request sent WITHOUT a saved copy (the outbox could not store it)
# may or may not have arrived: the person must hear that it is unknown, not "not done".
MAYBE_ARRIVED = frozenset({FailureKind.TIMEOUT, FailureKind.SERVER_ERROR,
                           FailureKind.BAD_RESPONSE, FailureKind.UNAUTHENTICATED})


class PreLossJourney:
    """The pre-loss journey (:class:`~kiosk.services.journey.PreLossIntents`), after
    identification: the person's cards, consequences, submit, result or queue, receipt."""

    back_steps = frozenset({Step.CARDS, Step.CONSEQUENCES})  # the registry routes back here

    def __init__(self, core: JourneyContext) -> None:
        self.core = core

    def back(self) -> None:
        """Back from the consequences: the cards again; from the cards: identify again
        (someone else's card?), data wiped."""
        if self.core.state.step == Step.CONSEQUENCES:
            self.core.session.chosen = None
            self.show_cards()
        else:
            self.core.start(self.core.state.journey)

    def show_cards(self) -> None:
        """The person's cards (after identification, or back from the consequences).
        A card already pre-lost (at another kiosk, by phone) shows when it lapses: the
        service's date, asked once per session."""
        session = self.core.session
        person = session.person
        if person is None:
            self.core.end()
            return
        pre_lost = [c.handle for c in person.cards if c.state == "pre_lost"]
        if pre_lost and session.lapses is None:
            central = self.core.central

            def got(lapses: tuple[tuple[str, dt.date | None], ...]) -> None:
                session.lapses = lapses
                self.show_cards()

            self.core.call("card_status", lambda: lapse_dates(central, pre_lost), got,
                           "journeys.busy.looking_up")
            return
        lapses = dict(session.lapses or ())
        choices = tuple(
            CardChoice(card_number_masked=c.masked, state=c.state,
                       offerable=c.state == "active",
                       explain_key=f"journeys.cards.state.{c.state}"
                       + ("_until" if lapses.get(c.handle) else ""),
                       bank_function=c.bank_function, token=str(i),
                       lapses_on=lapses.get(c.handle))
            for i, c in enumerate(person.cards))
        self.core.publish(Step.CARDS, CardsView(person.masked_name, choices,
                                                keep_id_card=session.id_card is not None))

    def choose_card(self, token: str) -> None:
        person = self.core.session.person
        if self.core.state.step != Step.CARDS or person is None:
            return
        try:
            card = person.cards[int(token)]
        except (ValueError, IndexError):
            return
        if card.state != "active":
            return  # explained on screen, not offered
        # Choosing a card begins a new request, with its own key (a retry of the same
        # confirmation keeps it); one key for two cards would be idempotency_conflict.
        self.core.session.idempotency_key = None
        self.core.session.chosen = card
        r = self.core.settings.region
        self.core.publish(Step.CONSEQUENCES, ConsequencesView(
            card.masked, r.hotline, r.pre_loss_lapse_days, r.pre_loss_lapse_working_days,
            r.replacement_fee_yuan))

    def confirm_pre_loss(self) -> None:
        """Submit the pre-loss. The request is made here (its idempotency key once per
        chosen card), stored in the outbox, fsync'd, BEFORE the first byte is sent, and
        the direct attempt delivers that stored item: a crash at any instant leaves it
        delivered or queued, and the busy screen says "saved" only when it is."""
        card = self.core.session.chosen
        if self.core.state.step != Step.CONSEQUENCES or card is None or not card.handle:
            return
        key = self.core.session.new_idempotency_key()
        central = self.core.central
        try:
            # By the card's handle from the identification: no card or ID number is sent
            # or stored (the service takes a pre-loss handle for days, so a queued one
            # stays deliverable).
            request = central.pre_loss_request(card.handle)
        except Exception as exc:  # refused locally (malformed): nothing sent or saved
            self.core.fail(failure_from_error(exc, self.core.hotline))
            return
        self._submit(card, request, key)

    def _submit(self, card: CardInfo, request: OutboundRequest, key: str) -> None:
        """Write ahead, then the direct attempt (also what "try again" does)."""
        outbox, central = self.core.outbox, self.core.central
        saved = direct = False
        if outbox is not None:
            try:
                direct = outbox.write_ahead(request, key)
                saved = True
            except Exception as exc:  # the disk failed: say nothing about saving
                log.error("outbox write-ahead failed", extra={"fields": {
                    "error": type(exc).__name__, "kind": getattr(exc, "kind", None)}})
                metrics.error("outbox_enqueue_failed")
        if saved and not direct:  # already queued and in the sender's hands
            self._show_pending(card, key)
            return

        def failed(exc: BaseException) -> bool:
            if saved and outbox is not None and outbox.is_queued(key):
                self._show_pending(card, key)  # true: it is on disk and will be sent
                return True
            kind = error_kind(exc)
            if not saved and (kind in MAYBE_ARRIVED or getattr(exc, "maybe_applied", False)):
                self.core.fail(Failure(FailureKind.NOT_SAVED, {"hotline": self.core.hotline},
                                       retry=True), retry=lambda: self._submit(card, request,
                                                                               key))
                return True
            if kind in RETRYABLE:
                self.core.fail(failure_from_error(exc, self.core.hotline),
                               retry=lambda: self._submit(card, request, key))
                return True
            return False  # a refusal: its words on the failure screen

        if saved and outbox is not None:
            box = outbox  # bound here: the call runs later, on a worker
            self.core.call("submit_pre_loss", lambda: box.deliver_now(key),
                           lambda result: self._pre_loss_done(card, result),
                           "journeys.busy.submitting", on_error=failed,
                           on_cancel=lambda: self._show_pending(card, key))
        else:
            self.core.call("submit_pre_loss_unsaved",
                           lambda: central.send_request(request, key),
                           lambda result: self._pre_loss_done(card, result),
                           "journeys.busy.submitting", on_error=failed)

    def _lapse_date(self, start: dt.date) -> dt.date:
        """The kiosk's own count (official calendar); the service's date wins over it."""
        r = self.core.settings.region
        return calendar_for(self.core.settings).add_days(
            start, r.pre_loss_lapse_days, r.pre_loss_lapse_working_days).value

    def _pre_loss_done(self, card: CardInfo, result: object, was_pending: bool = False
                       ) -> None:
        if not isinstance(result, PreLossResult):  # the client parses by operation
            log.error("pre-loss answer of another kind",
                      extra={"fields": {"type": type(result).__name__}})
            self.core.fail(Failure(FailureKind.BAD_RESPONSE, {"hotline": self.core.hotline}))
            return
        info = pre_loss_info(result, self.core.hotline)
        self.core.session.pre_loss = info
        # Shown and printed in the region's zone, whatever zone the service or machine uses.
        at = to_region(info.settlement_stopped_at or self.core.now(),
                       self.core.settings.region.timezone)
        # The hotline on screen and receipt is the terminal's own (region.hotline, official
        # by config_remote), never a number from the service's answer.
        view = PreLossView(card.masked, info.reference, at,
                           info.lapses_on or self._lapse_date(at.date()), self.core.hotline,
                           qr_payload=info.reference, pending=False,
                           lapse_estimate=info.lapses_on is None, was_pending=was_pending)
        self.core.publish(Step.PRE_LOSS_DONE, view)
        self._print(view)

    def delivered(self, idempotency_key: str, outcome: object) -> None:
        """A queued request reached the service (owner's thread). While the person who
        queued it is still on its pending screen, it turns into the real reference and
        receipt (or, refused for good, the refusal in plain words)."""
        session = self.core.session
        if not idempotency_key or idempotency_key != session.idempotency_key:
            return  # someone else's, or the session has ended: nothing on screen to change
        card = session.chosen
        if self.core.state.step != Step.PRE_LOSS_PENDING or card is None:
            return
        if isinstance(outcome, BaseException):
            self.core.fail(failure_from_error(outcome, self.core.hotline))
            return
        log.info("queued pre-loss delivered while shown")
        self._pre_loss_done(card, outcome, was_pending=True)

    def _show_pending(self, card: CardInfo, key: str) -> None:
        """Queued (already on disk): say honestly it is not in effect yet."""
        reference = "Q-" + key[:10].upper()
        view = PreLossView(card.masked, reference,
                           to_region(self.core.now(), self.core.settings.region.timezone), None,
                           self.core.hotline, qr_payload=reference, pending=True)
        self.core.publish(Step.PRE_LOSS_PENDING, view)
        self._print(view)

    def _print(self, view: PreLossView) -> None:
        """Print the receipt on a worker; the journey never waits for the printer."""
        if self.core.printer is None or self.core.settings.printer.kind == "none":
            return
        step = self.core.state.step
        printing = _with_receipt(view, "printing")
        self.core.publish(step, printing)
        make = self.core.make_receipt or receipt_for
        lapse = view.lapses_on or self._lapse_date(view.at.date())
        printer, language = self.core.printer, self.core.language
        receipt = make(view, self.core.settings, lapse)

        def done(outcome: Outcome[None]) -> None:
            ok = outcome.ok and outcome.value is not False
            if not ok:  # out of paper → printer_out_of_paper, … (the printer's kind)
                kind = None if outcome.error is None else printer_error_kind(outcome.error)
                metrics.error(f"printer_{kind}" if kind else "printer_failed")
            if self.core.state.step == step and self.core.state.view is printing:
                self.core.publish(step, _with_receipt(view, "printed" if ok else "failed"))

        self.core.worker.run("print_receipt",
                             lambda: printer.print_receipt(receipt, language), done)



def lapse_dates(central: CentralPort, handles: list[str]
                ) -> tuple[tuple[str, dt.date | None], ...]:
    """(card handle, lapse date or None) for pre-lost cards, from the service's card
    status (worker thread). A date that cannot be had is left out, never a failure: the
    card's words without a date are still right."""
    out: list[tuple[str, dt.date | None]] = []
    for handle in handles[:5]:  # bounded: a person has a few cards
        try:
            out.append((handle, central.card_status(handle).lapses_on))
        except Exception as exc:  # noqa: BLE001 - a missing date must not stop the journey
            log.info("lapse date unknown", extra={"fields": {"error": type(exc).__name__}})
            out.append((handle, None))
    return tuple(out)


def receipt_for(view: PreLossView, settings: Settings, lapse: dt.date) -> PreLossReceipt:
    """The printable receipt (kiosk.domain.receipts) for a done or pending pre-loss."""
    return PreLossReceipt(
        reference=view.reference, masked_card_number=view.card_number_masked,
        created_at=view.at, lapse_date=lapse, hotline=view.hotline,
        status=ReceiptStatus.PENDING if view.pending else ReceiptStatus.CONFIRMED,
        terminal_id=settings.kiosk.terminal_id,
        lapse_estimate=view.lapse_estimate or view.lapses_on is None,
        timezone=settings.region.timezone)


def _with_receipt(view: PreLossView, receipt: str) -> PreLossView:
    return replace(view, receipt=receipt)
