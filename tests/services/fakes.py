"""Fakes of the ports for headless unit tests of the journeys (one layer only)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from kiosk.central import schemas as s
from kiosk.central.errors import (  # noqa: F401  (re-exported: tests raise the real errors)
    CentralError,
    CentralNotFound,
    CentralOffline,
    CentralRefused,
    CentralServerError,
    CentralTimeout,
)
from kiosk.central.outbound import OutboundRequest
from kiosk.domain.masking import mask_card_number, mask_name
from kiosk.domain.models import IdCardData, SscCardData


def refused(code: str) -> Exception:
    return CentralRefused(code, "")


@dataclass
class Event:
    """Same shape as kiosk.devices.card_hub.HubEvent."""

    kind: str
    slot: str = "id"
    data: Any = None
    error: Any = None


def id_card(number: str = "110105198503071230", valid_to: dt.date | None = dt.date(2035, 3, 1),
            name: str = "王小明") -> IdCardData:
    return IdCardData(name=name, gender="male", ethnicity="01",
                      birth_date=dt.date(1985, 3, 7), address="北京市朝阳区建国路88号",
                      id_number=number, authority="北京市公安局朝阳分局",
                      valid_from=dt.date(2015, 3, 1), valid_to=valid_to)


def ssc_card(card_number: str = "X00000051", ssn: str = "440305197808157310") -> SscCardData:
    return SscCardData(card_id_code="110100D156000005000000000000", card_type="3",
                       spec_version="3.00", issuer_code="110100000000",
                       issue_date=dt.date(2020, 8, 1), expiry_date=dt.date(2030, 8, 1),
                       card_number=card_number, ssn=ssn, name="陈志强", gender="male",
                       ethnicity="01", birth_date=dt.date(1978, 8, 15))


HANDLE_PREFIX = "handle-for-"


def handle_for(card_number: str) -> str:
    """The fake service's handle for a card (the real one's are sealed and opaque)."""
    return HANDLE_PREFIX + card_number


def _card_of(handle: str) -> str:
    return handle[len(HANDLE_PREFIX):] if handle.startswith(HANDLE_PREFIX) else ""


def person(*cards: tuple[str, str], name: str = "王小明") -> dict[str, Any]:
    """A lookup's answer, as the service gives it: masked name, masked numbers, handles."""
    return {"person_ref": "p-1", "name": mask_name(name), "phone_masked": "138****1230",
            "cards": [{"handle": handle_for(n), "card_number_masked": mask_card_number(n),
                       "state": s, "bank_function": True, "issued": "2020-01-15",
                       "has_replacement": False} for n, s in cards],
            "may_pre_lose": True}


def status(card_number: str, state: str, **more: object) -> dict[str, Any]:
    """A card status as the service answers it (``schemas.CardStatus``): masked number,
    state, history; ``more``: replacement, lapses_on."""
    return {"card_number_masked": mask_card_number(card_number), "state": state,
            "history": [], **more}


@dataclass
class FakeCentral:
    """Answers from tables; ``errors[op]`` raises; ``gate[op]`` blocks until set."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_card: dict[str, str] = field(default_factory=dict)
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)
    gates: dict[str, threading.Event] = field(default_factory=dict)
    code: str = "123456"
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def _enter(self, op: str, *args: Any) -> None:
        self.calls.append((op, args))
        gate = self.gates.get(op)
        if gate is not None:
            gate.wait(5)
        err = self.errors.get(op)
        if err is not None:
            raise err

    def cancel(self) -> None:
        """Like the client's: end the calls in flight (here: count, and open the gates)."""
        self.calls.append(("cancel", ()))
        for gate in self.gates.values():
            gate.set()

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]

    def lookup_by_id_card(self, card: IdCardData) -> s.PersonCards:
        self._enter("lookup_person", card.id_number)
        if card.id_number not in self.people:
            raise CentralNotFound("not_found")
        return s.PersonCards.model_validate(self.people[card.id_number])

    def lookup_by_ssc(self, card: SscCardData) -> s.PersonCards:
        self._enter("lookup_by_card", card.card_number)
        if card.card_number not in self.by_card:
            raise CentralNotFound("not_found")
        return s.PersonCards.model_validate(
            {**self.people[self.by_card[card.card_number]], "may_pre_lose": False})

    def request_code(self, id_number: str) -> s.VerificationChallenge:
        self._enter("request_code", id_number)
        if id_number not in self.people:
            raise CentralNotFound("not_found")
        return s.VerificationChallenge(challenge_id="chal-0001", phone_masked="138****1230",
                                       expires_in=300)

    def confirm_code(self, challenge_id: str, code: str) -> s.PersonCards:
        self._enter("confirm_code", challenge_id, code)
        if code != self.code:
            raise refused("code_wrong")
        number = next(n for op, a in reversed(self.calls) if op == "request_code"
                      for n in a)
        return s.PersonCards.model_validate(self.people[number])

    def _number(self, handle: str | None, ssc: SscCardData | None) -> str:
        return ssc.card_number if ssc is not None else _card_of(handle or "")

    def _holder(self, card_number: str) -> str | None:
        return next((number for number, p in self.people.items()
                     if any(c["handle"] == handle_for(card_number) for c in p["cards"])),
                    self.by_card.get(card_number))

    def card_status(self, handle: str | None = None, *,
                    ssc: SscCardData | None = None) -> s.CardStatus:
        number = self._number(handle, ssc)
        self._enter("card_status", number)
        return s.CardStatus.model_validate(self.statuses[number])

    def submit_pre_loss(self, handle: str, idempotency_key: str) -> s.PreLossResult:
        number = _card_of(handle)
        self._enter("submit_pre_loss", number, idempotency_key)
        return s.PreLossResult.model_validate({
            "reference": "PL-20261125-0001", "card_number_masked": mask_card_number(number),
            "settlement_stopped_at": "2026-11-25T09:00:00+08:00",
            "lapses_on": "2026-12-05", "hotline": "96102"})

    def replacement_progress(self, handle: str | None = None, *,
                             ssc: SscCardData | None = None) -> s.Replacement:
        """By the card (old or new), else the holder's latest (``progress`` is keyed by
        either a card number or an ID number)."""
        number = self._number(handle, ssc)
        self._enter("replacement_progress", number)
        for key in (number, self._holder(number)):
            if key in self.progress:
                return s.Replacement.model_validate(self.progress[key])
        raise refused("no_replacement")

    def cancel_pre_loss(self, ssc: SscCardData, id_card: IdCardData,
                        idempotency_key: str) -> s.CancelResult:
        self._enter("cancel_pre_loss", ssc.card_number, id_card.id_number, idempotency_key)
        return s.CancelResult(reference="CX-0001",
                              card_number_masked=mask_card_number(ssc.card_number),
                              state=s.CardState.ACTIVE,
                              cancelled_at=dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC))

    def pre_loss_request(self, handle: str) -> OutboundRequest:
        return OutboundRequest("pre_loss", {"handle": handle, "channel": "kiosk",
                                        "terminal_id": "T-DEMO-0001"})

    def send_request(self, request: OutboundRequest, idempotency_key: str) -> object:
        """Like the client's: one way to send whatever a ``*_request`` method made."""
        return self.submit_pre_loss(str(request.body["handle"]), idempotency_key)


@dataclass
class FakePins:
    pin: str = "123456"
    tries: int = 3
    calls: int = 0

    def verify_pin(self, pin: str) -> None:
        from kiosk.devices.pcsc.errors import CardError

        self.calls += 1
        if self.tries == 0:
            raise CardError("pin_blocked", tries_left=0)
        if pin != self.pin:
            self.tries -= 1
            if self.tries == 0:
                raise CardError("pin_blocked", tries_left=0)
            raise CardError("pin_wrong", tries_left=self.tries)
        self.tries = 3


@dataclass
class FakeOutbox:
    """The write-ahead port (``OutboxSender``) over a list: ``items`` are what was
    stored, (kind, body, key); the direct attempt asks ``central``. A refusal settles
    the item (as a signed refusal of the direct attempt does); anything else leaves it
    queued. ``fail``: the disk refuses to store."""

    central: Any = None
    items: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    fail: bool = False

    def write_ahead(self, request: OutboundRequest, idempotency_key: str) -> bool:
        if self.fail:
            raise OSError("disk full")
        if all(key != idempotency_key for *_, key in self.items):
            self.items.append((request.kind, dict(request.body), idempotency_key))
        self.ended.discard(idempotency_key)
        return True

    def deliver_now(self, idempotency_key: str) -> Any:
        kind, body, _ = next(i for i in self.items if i[2] == idempotency_key)
        try:
            result = self.central.send_request(OutboundRequest(kind, body), idempotency_key)
        except CentralError as exc:
            if exc.kind in ("refused", "not_found"):
                self.ended.add(idempotency_key)
            raise
        self.ended.add(idempotency_key)
        return result

    def is_queued(self, idempotency_key: str) -> bool:
        return any(key == idempotency_key for *_, key in self.items) \
            and idempotency_key not in self.ended


@dataclass
class FakePrinter:
    fail: bool = False
    printed: list[tuple[Any, str]] = field(default_factory=list)

    def print_receipt(self, receipt: Any, language: str) -> None:
        if self.fail:
            raise OSError("out of paper")
        self.printed.append((receipt, language))
