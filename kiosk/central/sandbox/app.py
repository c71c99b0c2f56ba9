"""The sandbox central service: the ``/v1`` contract over :class:`SandboxStore`.

Every ``/v1`` request must be signed by a known terminal (:mod:`kiosk.central.signing`):
bad signature, replayed nonce or a skewed clock are refused with 401 problems. State
changes need an ``Idempotency-Key`` header.

``/admin`` is the test and demo harness (advance a replacement, read the last "SMS"
code, read what was recorded, reset, time travel, fault modes). It is unsigned on
purpose — a test must be able to reach it when signing is what is broken — and is
therefore answered only to loopback clients, whatever address the server listens on.
A real central service has no such endpoints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kiosk import __version__
from kiosk.central import schemas as s
from kiosk.central.sandbox.faults import Faults
from kiosk.central.sandbox.store import ApiProblem, SandboxStore
from kiosk.central.signing import (
    H_NONCE,
    H_SIGNATURE,
    H_TERMINAL,
    H_TIMESTAMP,
    SignatureError,
    SignedRequest,
    verify_request,
)
from kiosk.logs import get_logger

log = get_logger("kiosk.central.sandbox")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": s.Problem, "description": desc,
           "content": {s.PROBLEM_CONTENT_TYPE: {"schema": {"$ref":
                                                           "#/components/schemas/Problem"}}}}
    for code, desc in ((401, "bad_signature, replayed or clock_skew"),
                       (403, "refused (not_allowed, code_wrong, code_blocked)"),
                       (404, "not_found or no_replacement"),
                       (409, "a card rule refused it, or idempotency_conflict"),
                       (422, "validation_error"),
                       (503, "unavailable"))
}


def problem_response(status: int, code: s.ProblemCode, detail: str = "",
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = s.problem(code, status, detail, **extra).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, media_type=s.PROBLEM_CONTENT_TYPE,
                        headers=headers)


@dataclass(frozen=True)
class Signed:
    """A verified request: who signed it and the exact body bytes (for idempotency)."""

    who: SignedRequest
    body: bytes


async def signed(request: Request) -> Signed:
    """Dependency: verify signature, clock and nonce; keep the exact body bytes."""
    st = request.app.state
    body = await request.body()
    try:
        who = verify_request(st.keys, request.method, request.url.path, body,
                             request.headers, st.max_skew)
    except SignatureError as exc:
        raise ApiProblem(s.ProblemCode(exc.code), 401, exc.detail) from None
    st.store.remember_nonce(who.terminal_id, who.nonce, st.max_skew)
    return Signed(who, body)


SignedDep = Annotated[Signed, Depends(signed)]
IdemKey = Annotated[str | None, Header(alias=s.IDEMPOTENCY_HEADER, min_length=8,
                                       max_length=128)]


def create_app(store: SandboxStore, keys: dict[str, bytes], max_skew: float,
               faults: Faults | None = None) -> FastAPI:
    """The FastAPI app (wrap it in :class:`~kiosk.central.sandbox.faults.FaultInjector`)."""
    faults = faults or Faults()
    app = FastAPI(title="Social security card central service (sandbox)",
                  version=__version__, openapi_url="/v1/openapi.json", docs_url=None,
                  redoc_url=None,
                  description="Every operation is a signed POST with a JSON body (personal "
                              "data never in URLs). Errors are RFC 9457 problem+json with a "
                              "stable `code`.")
    app.state.store, app.state.keys, app.state.max_skew = store, dict(keys), max_skew

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the fields, never echo their values (they are personal data).
        where = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) or "body"
                        for e in exc.errors()})
        return problem_response(422, s.ProblemCode.VALIDATION_ERROR,
                                "invalid: " + ", ".join(where))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("sandbox error", extra={"fields": {"error": type(exc).__name__}})
        return problem_response(500, s.ProblemCode.SERVER_ERROR, "internal error")

    def idempotent(ctx: Signed, key: str | None, op: s.Path, action: Any) -> JSONResponse:
        if not key:
            raise ApiProblem(s.ProblemCode.IDEMPOTENCY_KEY_MISSING, 400,
                             f"{s.IDEMPOTENCY_HEADER} header required")
        status, body, replayed = store.idempotent(ctx.who.terminal_id, key, op.value,
                                                  ctx.body, action)
        headers = {s.IDEMPOTENT_REPLAY_HEADER: "true"} if replayed else None
        if "__problem__" in body:
            extra = {k: v for k, v in body.items() if k not in ("__problem__", "detail")}
            return problem_response(status, s.ProblemCode(body["__problem__"]),
                                    body.get("detail", ""), headers=headers, **extra)
        return JSONResponse(body, status_code=status, headers=headers)

    v1 = APIRouter(responses=PROBLEM_RESPONSES)

    @v1.post(s.Path.LOOKUP, response_model=s.PersonCards, summary="Find a person's cards")
    def lookup(req: s.LookupRequest, ctx: SignedDep) -> Any:
        return store.lookup(id_number=req.id_number, card_number=req.card_number)

    @v1.post(s.Path.VERIFY_REQUEST, response_model=s.VerificationChallenge,
             summary="Send a 6-digit code to the phone on record")
    def verify_request_(req: s.VerificationRequest, ctx: SignedDep) -> Any:
        return store.request_code(req.id_number)

    @v1.post(s.Path.VERIFY_CONFIRM, response_model=s.PersonCards,
             summary="Confirm the code; answers the person's cards")
    def verify_confirm(req: s.VerificationConfirm, ctx: SignedDep) -> Any:
        return store.confirm_code(req.challenge_id, req.code)

    @v1.post(s.Path.CARD_STATUS, response_model=s.CardStatus,
             summary="A card's state, history and replacement")
    def card_status(req: s.CardStatusRequest, ctx: SignedDep) -> Any:
        return store.card_status(req.card_number)

    @v1.post(s.Path.PRELOSS, response_model=s.PreLossResult,
             summary="Pre-lose a card (stops settlement at once)")
    def prelose(req: s.PreLossRequest, ctx: SignedDep, key: IdemKey = None) -> Any:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(s.ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        return idempotent(ctx, key, s.Path.PRELOSS, lambda: store.pre_lose(
            req.card_number, req.id_number, req.terminal_id, req.channel, key))

    @v1.post(s.Path.PRELOSS_CANCEL, response_model=s.CancelResult,
             summary="Cancel a pre-loss (refused once a replacement exists)")
    def cancel(req: s.CancelPreLossRequest, ctx: SignedDep, key: IdemKey = None) -> Any:
        return idempotent(ctx, key, s.Path.PRELOSS_CANCEL, lambda: store.cancel_pre_loss(
            req.card_number, req.id_number, key))

    @v1.post(s.Path.REPLACEMENT_PROGRESS, response_model=s.Replacement,
             summary="Where a replacement card is")
    def progress(req: s.ReplacementProgressRequest, ctx: SignedDep) -> Any:
        return store.replacement_progress(card_number=req.card_number, id_number=req.id_number)

    @v1.post(s.Path.HEARTBEAT, response_model=s.HeartbeatResult,
             summary="Terminal heartbeat with its clock and version")
    def heartbeat(req: s.HeartbeatRequest, ctx: SignedDep) -> Any:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(s.ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        return store.heartbeat(req.terminal_id, req.clock, req.version, req.outbox_depth,
                               max_skew)

    app.include_router(v1)
    app.include_router(_admin_router(store, faults))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            doc = get_openapi(title=app.title, version=s.API_VERSION,
                              description=app.description, routes=app.routes)
            doc.setdefault("components", {})["securitySchemes"] = {"terminalHmac": {
                "type": "apiKey", "in": "header", "name": H_SIGNATURE,
                "description": f"HMAC-SHA256 of the canonical request (see "
                               f"kiosk/central/signing.py) with headers {H_TERMINAL}, "
                               f"{H_TIMESTAMP}, {H_NONCE}."}}
            doc["security"] = [{"terminalHmac": []}]
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class FaultRequest(BaseModel):
    latency_ms: int | None = None
    fail_next: int | None = None
    fail_status: int | None = None
    drop_next: int | None = None
    garbage_next: int | None = None


class CardRef(BaseModel):
    card_number: str
    mailed: bool = False
    outlet: str | None = None


class ClockRequest(BaseModel):
    offset_days: float = 0


def _admin_router(store: SandboxStore, faults: Faults) -> APIRouter:
    async def loopback_only(request: Request) -> None:
        host = request.client.host if request.client else ""
        if host not in LOOPBACK:
            raise ApiProblem(s.ProblemCode.NOT_ALLOWED, 403, "admin is loopback only")

    admin = APIRouter(prefix="/admin", include_in_schema=False,
                      dependencies=[Depends(loopback_only)])

    @admin.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "db": str(store.path)}

    @admin.post("/reset")
    def reset() -> dict[str, Any]:
        store.reset()
        faults.clear()
        return {"ok": True}

    @admin.get("/faults")
    def get_faults() -> Any:
        return asdict(faults.snapshot())

    @admin.post("/faults")
    def set_faults(req: FaultRequest) -> Any:
        return asdict(faults.set(**req.model_dump()))

    @admin.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        faults.clear()
        return {"ok": True}

    @admin.post("/replacements/advance")
    def advance(req: CardRef) -> Any:
        return store.advance_replacement(req.card_number)

    @admin.post("/replacements/apply")
    def apply(req: CardRef) -> Any:
        return store.apply_replacement(req.card_number, req.mailed, req.outlet)

    @admin.get("/verification/last")
    def last_code(challenge_id: str | None = None) -> Any:
        return store.last_code(challenge_id)

    @admin.get("/prelosses")
    def prelosses() -> Any:
        return store.recorded_prelosses()

    @admin.get("/cancellations")
    def cancellations() -> Any:
        return store.recorded_cancellations()

    @admin.get("/heartbeats")
    def heartbeats() -> Any:
        return store.heartbeats()

    @admin.post("/clock")
    def clock(req: ClockRequest) -> dict[str, Any]:
        store.clock_offset = dt.timedelta(days=req.offset_days)
        return {"now": store.now().isoformat()}

    return admin
