"""A request as the client builds it, before anything is sent: the facts of a chip the
service checks (:func:`id_card_facts`, :func:`chip_facts`) and the operation's model
validated here, so that a malformed field is refused as ``validation_error`` without a
network round trip, naming the fields and never their values (:func:`build_request`,
:func:`validated`); and the state changes a terminal may queue (:data:`QUEUEABLE`,
:func:`outbound_request`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from kiosk.central import schemas as s
from kiosk.central.errors import CentralRefused
from kiosk.central.outbound import OutboundRequest
from kiosk.domain.models import IdCardData, SscCardData

M = TypeVar("M", bound=BaseModel)

# The state changes a terminal may queue: kind -> (path, request model). An allow-list:
# the outbox can make the client send nothing else, whatever a queued row says.
QUEUEABLE: dict[str, tuple[s.Path, type[BaseModel]]] = {
    "pre_loss": (s.Path.PRE_LOSS, s.PreLossRequest),
    "cancel_pre_loss": (s.Path.PRE_LOSS_CANCEL, s.CancelPreLossRequest),
}


def printed_id_number(id_number: str) -> str:
    """ID numbers as the card prints them: no spaces, check character X upper-case."""
    return id_number.strip().upper()


def id_card_facts(card: IdCardData | Mapping[str, object]) -> dict[str, object]:
    """What the service checks of an ID card, from what its chip gave (or the same facts
    kept as a mapping): the number, the validity dates, the issuing authority."""
    if isinstance(card, Mapping):
        return dict(card)
    return {"id_number": printed_id_number(card.id_number),
            "valid_from": card.valid_from.isoformat(),
            "valid_to": card.valid_to.isoformat() if card.valid_to else None,
            "authority": card.authority.strip()}


def chip_facts(card: SscCardData | Mapping[str, object]) -> dict[str, object]:
    """What the service checks of a social security card, from its chip (or the same
    facts kept as a mapping): the number and the card identification code."""
    if isinstance(card, Mapping):
        return dict(card)
    return {"card_number": card.card_number.strip().upper(),
            "chip_id": card.card_id_code.strip().upper()}


def build_request(model: type[M], **fields: object) -> M:
    """Build a request; a malformed field is refused here (``validation_error``) without
    a network round trip, and the refusal names the fields, never their values."""
    return validated(model, fields)


def validated(model: type[M], data: Mapping[str, object]) -> M:
    """``model`` from ``data``, or ``CentralRefused("validation_error")`` naming fields."""
    try:
        if not isinstance(data, Mapping):
            raise TypeError("not a mapping")
        return model.model_validate(dict(data))
    except TypeError:
        raise local_refusal("invalid: request") from None
    except ValidationError as exc:
        where = sorted({".".join(str(p) for p in e["loc"]) or "request"
                        for e in exc.errors()})
        raise local_refusal("invalid: " + ", ".join(where)) from None


def local_refusal(detail: str) -> CentralRefused:
    """``validation_error`` decided here, before anything was sent (``local``)."""
    exc = CentralRefused(s.ProblemCode.VALIDATION_ERROR.value, detail, 422)
    exc.local = True
    return exc


def outbound_request(kind: str, **fields: object) -> OutboundRequest:
    """A :class:`OutboundRequest` whose body is the validated model's JSON form."""
    model = QUEUEABLE[kind][1]
    body = build_request(model, **fields).model_dump(mode="json", exclude_none=True)
    return OutboundRequest(kind, body)
