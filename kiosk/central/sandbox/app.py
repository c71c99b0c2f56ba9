"""The ``/v1`` contract as FastAPI routes over a :class:`~kiosk.central.sandbox.ports.Backend`
(the core card system and the terminal register). The sandbox serves it over SQLite
(:class:`~kiosk.central.sandbox.store.SandboxStore`), the province centre
(``kiosk.centre``) over PostgreSQL: the same routes, gate and schemas.

Every ``/v1`` request has passed :class:`kiosk.central.sandbox.gate.Gate` (body cap,
signature, clock, nonce, rate limit) before it gets here, and every reply is signed
there. State changes need an ``Idempotency-Key`` header.

The admin app (:func:`kiosk.central.sandbox.harness_routes.create_admin_app`) is the test
and demo harness (advance a replacement, read the last "SMS" code, read what was
recorded, reset, time travel, fault modes). It is unsigned on purpose — a test must be
able to reach it when signing is what is broken — and is therefore served only on its
own loopback port, behind a token. A real central service has no such endpoints. The
problem+json answers are in :mod:`kiosk.central.sandbox.problems`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk import __version__
from kiosk.central import schemas as s
from kiosk.central.sandbox import limits
from kiosk.central.sandbox.answers import (
    Answers,
    masked_replacement,
    masked_result,
    masked_status,
)
from kiosk.central.sandbox.essc import add_essc_routes
from kiosk.central.sandbox.fleet_routes import fleet_v1_router
from kiosk.central.sandbox.gate import NOT_JSON, Signed, SignedDep, signed
from kiosk.central.sandbox.handles import MAY_PRE_LOSE
from kiosk.central.sandbox.help_routes import help_v1_router
from kiosk.central.sandbox.operations import confirm_code, request_code
from kiosk.central.sandbox.ports import Answer, Backend, Limiter
from kiosk.central.sandbox.problems import PROBLEM_RESPONSES, invalid_request, problem_response
from kiosk.central.sandbox.reveals import REVEALS
from kiosk.central.sandbox.store import ApiProblem
from kiosk.central.sandbox.watch import RateLimitName
from kiosk.central.signing import (
    H_NONCE,
    H_REPLY_SIGNATURE,
    H_SIGNATURE,
    H_TERMINAL,
    H_TIMESTAMP,
)
from kiosk.logs import get_logger

log = get_logger("kiosk.central.sandbox")

IdemKey = Annotated[str | None, Header(alias=s.IDEMPOTENCY_HEADER, min_length=8,
                                       max_length=128)]


def create_app(backend: Backend, max_skew: float) -> FastAPI:
    """The FastAPI app for ``/v1`` (the sandbox wraps it in
    :class:`~kiosk.central.sandbox.faults.FaultInjector`; both put
    :class:`~kiosk.central.sandbox.gate.Gate` in front)."""
    core, register = backend.core, backend.register
    app = FastAPI(title="Social security card central service (sandbox)",
                  version=__version__, openapi_url="/v1/openapi.json", docs_url=None,
                  redoc_url=None,
                  description=API_DESCRIPTION)
    app.state.backend, app.state.max_skew = backend, max_skew
    # Read now, not at import: a bench raises them before it builds its sandbox.
    id_limit = backend.limiter(limits.ID_NUMBER_LIMIT, "id_number")
    card_limit = backend.limiter(limits.CARD_NUMBER_LIMIT, "card_number")
    answers, watch = Answers(backend), backend.watch

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, headers=exc.headers,
                                tries_left=exc.tries_left)

    app.exception_handler(RequestValidationError)(invalid_request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The framework's own refusals (a body it cannot parse, …) as problem+json too;
        # never its words, which may echo what was sent.
        if exc.status_code == 400:
            return problem_response(400, s.ProblemCode.VALIDATION_ERROR, NOT_JSON)
        if exc.status_code == 404:
            return problem_response(404, s.ProblemCode.NOT_FOUND, "no such path")
        return problem_response(exc.status_code, s.ProblemCode.SERVER_ERROR
                                if exc.status_code >= 500 else s.ProblemCode.NOT_ALLOWED,
                                "refused")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("sandbox error", extra={"fields": {"error": type(exc).__name__}})
        return problem_response(500, s.ProblemCode.SERVER_ERROR, "internal error")

    def idempotent(ctx: Signed, key: str | None, op: s.Path,
                   action: Callable[[], Answer]) -> JSONResponse:
        if not key:
            raise ApiProblem(s.ProblemCode.IDEMPOTENCY_KEY_MISSING, 400,
                             f"{s.IDEMPOTENCY_HEADER} header required")
        status, body, replayed = register.idempotent(ctx.who.terminal_id, key, op.value,
                                                     ctx.body, action)
        headers = {s.IDEMPOTENT_REPLAY_HEADER: "true"} if replayed else None
        if "__problem__" in body:  # a refusal, stored as register.idempotent wrote it
            detail, tries_left, stored = (body.get("detail", ""), body.get("tries_left"),
                                          body.get("headers"))
            if isinstance(stored, dict):  # e.g. a 429's Retry-After
                headers = {**{str(k): str(v) for k, v in stored.items()}, **(headers or {})}
            return problem_response(status, s.ProblemCode(str(body["__problem__"])),
                                    str(detail), headers=headers,
                                    tries_left=tries_left if isinstance(tries_left, int)
                                    else None)
        return JSONResponse(body, status_code=status, headers=headers)

    v1 = APIRouter(responses=PROBLEM_RESPONSES)

    def limited(limiter: Limiter, key: str, what: str, name: RateLimitName) -> None:
        wait = limiter.take(key)
        if wait:
            watch.refused(name)
            raise ApiProblem(s.ProblemCode.RATE_LIMITED, 429, f"too many requests for {what}",
                             headers={"Retry-After": str(int(wait) + 1)})

    def per_id_number(id_number: str) -> None:
        limited(id_limit, id_number, "this person", "id_number")

    def per_card(card_number: str) -> None:
        # Walking card numbers to harvest whose they are is slow whatever the terminal:
        # every request that names a card by its number (a chip's facts) is counted.
        limited(card_limit, card_number, "this card", "card_number")

    def counted(terminal_id: str, asked: str, find: Callable[[], Answer]) -> Answer:
        """Run a lookup and count the person asked about (found: the core's reference;
        not found: what was asked), for the distinct-people alert."""
        try:
            found = find()
        except ApiProblem:
            watch.saw(terminal_id, "asked:" + asked)
            raise
        watch.saw(terminal_id, "person:" + str(found.get("person_ref", asked)))
        return found

    def by_chip(card: s.SscChipFacts, terminal_id: str) -> str:
        """The card number, once its chip is the card's (else not found, like an unknown
        card: a number alone tells nothing)."""
        per_card(card.card_number)
        if not core.card_chip_genuine(card.card_number, card.chip_id):
            watch.saw(terminal_id, "asked:" + card.card_number)
            raise ApiProblem(s.ProblemCode.NOT_FOUND, 404, "no such card")
        return card.card_number

    def by_id_card(facts: s.IdCardFacts, terminal_id: str) -> None:
        per_id_number(facts.id_number)
        if not core.id_card_genuine(facts.id_number, facts.valid_from, facts.valid_to,
                                    facts.authority):
            watch.saw(terminal_id, "asked:" + facts.id_number)
            raise ApiProblem(s.ProblemCode.NOT_FOUND, 404, "no such person")

    def card_of(req: s.CardStatusRequest | s.PreLossRequest | s.ReplacementProgressRequest,
                terminal_id: str, *, pre_loss: bool = False) -> tuple[str, bool]:
        """The card a request names, by a handle of this terminal or by its chip; and
        whether the caller proved who they are (a handle from an ID card, an SMS code or
        an e-SSC) rather than only holding a card (its chip, or a handle from it)."""
        if isinstance(req, s.PreLossRequest) or req.handle is not None:
            # No per-card limit here: a handle came from a lookup that was limited, and a
            # queued pre-loss may be sent again and again under its key.
            assert req.handle is not None  # the models take a handle or a card, not none
            opened = answers.open(req.handle, terminal_id, pre_loss=pre_loss)
            return opened.card_number, opened.basis in MAY_PRE_LOSE
        assert req.card is not None
        return by_chip(req.card, terminal_id), False

    @v1.post(s.Path.LOOKUP, response_model=s.PersonCards, summary="Find a person's cards",
             description=REVEALS[s.Path.LOOKUP])
    def lookup(req: s.LookupRequest, ctx: SignedDep) -> object:
        terminal = ctx.who.terminal_id
        if req.id_card is not None:
            by_id_card(req.id_card, terminal)
            number = req.id_card.id_number
            found = counted(terminal, number, lambda: core.lookup(id_number=number))
            return answers.person(found, "id_card", terminal)
        assert req.card is not None
        card = by_chip(req.card, terminal)
        found = counted(terminal, card, lambda: core.lookup(card_number=card))
        return answers.person(found, "ssc_chip", terminal)

    @v1.post(s.Path.VERIFY_REQUEST, response_model=s.VerificationChallenge,
             summary="Send a 6-digit code to the phone on record",
             description=REVEALS[s.Path.VERIFY_REQUEST])
    def verify_request_(req: s.VerificationRequest, ctx: SignedDep) -> object:
        per_id_number(req.id_number)
        try:
            return request_code(backend, req.id_number, ctx.who.terminal_id)
        finally:  # a typed number walked through here is a person asked about too
            watch.saw(ctx.who.terminal_id, "asked:" + req.id_number)

    @v1.post(s.Path.VERIFY_CONFIRM, response_model=s.PersonCards,
             summary="Confirm the code; answers the person's cards",
             description=REVEALS[s.Path.VERIFY_CONFIRM])
    def verify_confirm(req: s.VerificationConfirm, ctx: SignedDep) -> object:
        found = confirm_code(backend, req.challenge_id, req.code, ctx.who.terminal_id)
        return answers.person(found, "sms", ctx.who.terminal_id)

    @v1.post(s.Path.CARD_STATUS, response_model=s.CardStatus,
             summary="A card's state, history and replacement",
             description=REVEALS[s.Path.CARD_STATUS])
    def card_status(req: s.CardStatusRequest, ctx: SignedDep) -> object:
        card, identified = card_of(req, ctx.who.terminal_id)
        return masked_status(core.card_status(card), tracking=identified)

    @v1.post(s.Path.PRE_LOSS, response_model=s.PreLossResult,
             summary="Pre-lose a card (stops settlement at once)",
             description=REVEALS[s.Path.PRE_LOSS])
    def pre_loss(req: s.PreLossRequest, ctx: SignedDep, key: IdemKey = None) -> object:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(s.ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")

        def act() -> Answer:
            card, _ = card_of(req, req.terminal_id, pre_loss=True)
            return masked_result(core.pre_loss(card, None, req.terminal_id, req.channel, key))

        return idempotent(ctx, key, s.Path.PRE_LOSS, act)

    @v1.post(s.Path.PRE_LOSS_CANCEL, response_model=s.CancelResult,
             summary="Cancel a pre-loss (refused once a replacement exists)",
             description=REVEALS[s.Path.PRE_LOSS_CANCEL])
    def cancel(req: s.CancelPreLossRequest, ctx: SignedDep, key: IdemKey = None) -> object:
        terminal = ctx.who.terminal_id

        def act() -> Answer:
            card = by_chip(req.card, terminal)
            by_id_card(req.id_card, terminal)
            return masked_result(core.cancel_pre_loss(card, req.id_card.id_number, key))

        return idempotent(ctx, key, s.Path.PRE_LOSS_CANCEL, act)

    @v1.post(s.Path.REPLACEMENT_PROGRESS, response_model=s.Replacement,
             summary="Where a replacement card is",
             description=REVEALS[s.Path.REPLACEMENT_PROGRESS])
    def progress(req: s.ReplacementProgressRequest, ctx: SignedDep) -> object:
        card, identified = card_of(req, ctx.who.terminal_id)
        return masked_replacement(core.replacement_progress(card_number=card),
                                  tracking=identified)

    @v1.post(s.Path.HEARTBEAT, response_model=s.HeartbeatResult,
             summary="Terminal heartbeat with its clock and version",
             description=REVEALS[s.Path.HEARTBEAT])
    def heartbeat(req: s.HeartbeatRequest, ctx: SignedDep) -> object:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(s.ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        return register.heartbeat(req.terminal_id, req.clock, req.version, req.outbox_depth,
                                  max_skew)

    app.include_router(v1)
    add_essc_routes(app, backend, answers, signed, PROBLEM_RESPONSES)
    app.include_router(fleet_v1_router(backend, max_skew, PROBLEM_RESPONSES))
    app.include_router(help_v1_router(backend, PROBLEM_RESPONSES))

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=s.API_VERSION,
                              description=app.description, routes=app.routes)
            doc.setdefault("components", {})["securitySchemes"] = {"terminalHmac": {
                "type": "apiKey", "in": "header", "name": H_SIGNATURE,
                "description": f"HMAC-SHA256 of the canonical request (see "
                               f"kiosk/central/signing.py) with headers {H_TERMINAL}, "
                               f"{H_TIMESTAMP}, {H_NONCE}."}}
            doc["security"] = [{"terminalHmac": []}]
            _document_reply_signature(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


API_DESCRIPTION = (
    "Every operation is a signed POST with a JSON body (personal data never in URLs). "
    "Errors are RFC 9457 problem+json with a stable `code`: a body that is not a JSON "
    "document is 400 `validation_error`, a JSON body that breaks the schema 422.\n\n"
    "**Requests** are signed by the terminal (`terminalHmac`). The body is capped (413 "
    "`too_large`, checked before authentication); every authentication failure is the "
    "same 401 `bad_signature`.\n\n"
    "**Replies are signed by the service**: `X-Kiosk-Reply-Signature` is the lower-case "
    "hex HMAC-SHA256, with the terminal key, of `KIOSK-HMAC-SHA256-V1-REPLY\\n<request "
    "nonce>\\n<status>\\n<sha256 hex of the body>`. The terminal refuses an answer that "
    "is unsigned, forged or signed for another request (a replay). 401s are never signed; "
    "the terminal accepts an unsigned 401 only as a terminal problem (`bad_signature`, "
    "`clock_skew`, `replayed`). Redirects are never followed.")



def _document_reply_signature(doc: dict[str, object]) -> None:
    header = {"description": "the service's signature of this reply (see the API "
                             "description); absent on 401", "required": True,
              "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}
    paths = doc.get("paths")
    for item in paths.values() if isinstance(paths, dict) else ():
        for op in item.values() if isinstance(item, dict) else ():
            responses = op.get("responses") if isinstance(op, dict) else None
            for status, response in responses.items() if isinstance(responses, dict) else ():
                if status != "401" and isinstance(response, dict):
                    response.setdefault("headers", {})[H_REPLY_SIGNATURE] = header
