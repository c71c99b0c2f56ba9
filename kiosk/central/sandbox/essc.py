"""The ``/v1/essc`` routes (contract in :mod:`kiosk.central.schemas_essc`) and the
simulated e-SSC platform's admin side.

The platform's part lives in the simulated core
(:meth:`kiosk.central.sandbox.core.SimulatedCore.essc_identify`): personas with an
``essc`` table carry an e-SSC identity (``status = "active"`` or ``"revoked"``); the
admin side issues a code for a persona (``POST /admin/essc/codes {persona, expired,
used}``; ``expired``/``used`` make a code that is already past its 60 s or already
spent, for the refusal screens); ``/v1/essc/verify`` spends it once. The grant the
terminal gets is the front-end's (the register's). Like a real issuer, both keep only
SHA-256 hashes of codes and grants.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import Field

from kiosk.central import schemas as s
from kiosk.central import schemas_essc as e
from kiosk.central.sandbox.gate import Signed
from kiosk.central.sandbox.operations import essc_verify
from kiosk.central.sandbox.ports import Answer, Backend
from kiosk.central.sandbox.store import ApiProblem, ServiceBackend
from kiosk.central.sandbox.store_util import EsscRefused


def _answer(problem: s.Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=problem.status,
                        media_type=s.PROBLEM_CONTENT_TYPE, headers=headers)


def _problem_for(code: str, status: int, detail: str, extra: dict[str, Any]) -> s.Problem:
    if code in e.EsscRefusal.__members__.values():
        return e.essc_problem(e.EsscRefusal(code), detail)
    return s.problem(s.ProblemCode(code), status, detail, **extra)


def essc_pre_loss(backend: Backend, req: e.EsscPreLossRequest, key: str | None) -> Answer:
    """Inside the register's idempotent transaction: the grant's person pre-loses."""
    holder = backend.register.grant_holder(req.grant, req.terminal_id)
    if holder is None:
        raise ApiProblem(e.EsscRefusal.GRANT_INVALID, 403,  # type: ignore[arg-type]
                         "grant not valid here")
    return backend.core.pre_loss(req.card_number, None, req.terminal_id, req.channel, key,
                                 person_ref=holder)


def add_essc_routes(app: FastAPI, backend: Backend, signed: Any,
                    common: dict[int | str, dict[str, Any]]) -> None:
    """Mount the two ``/v1/essc`` operations on the sandbox app (``signed``: the app's
    dependency giving the gate-verified request; ``common``: its problem answers)."""
    router = APIRouter(tags=["e-SSC"])
    responses = dict(common)
    for status in sorted(set(e.REFUSAL_STATUS.values())):
        mine = ", ".join(r.value for r, st in e.REFUSAL_STATUS.items() if st == status)
        before = responses.get(status, {}).get("description")
        responses[status] = {**responses.get(status, {"model": s.Problem}),
                             "description": f"{before}; e-SSC: {mine}" if before else mine}

    @router.post(e.EsscPath.VERIFY, response_model=e.EsscIdentity, responses=responses,
                 summary="Identify by a scanned e-SSC QR code (one-time)",
                 description=e.VERIFY_DESCRIPTION)
    def verify(req: e.EsscVerifyRequest, ctx: Signed = Depends(signed)) -> Any:  # noqa: B008
        try:
            return essc_verify(backend, req.code, ctx.who.terminal_id)
        except EsscRefused as exc:
            return _answer(e.essc_problem(e.EsscRefusal(exc.refusal), exc.detail))

    @router.post(e.EsscPath.PRE_LOSS, response_model=s.PreLossResult, responses=responses,
                 summary="Pre-lose a card on an e-SSC identity grant",
                 description=e.PRE_LOSS_DESCRIPTION)
    def pre_loss(req: e.EsscPreLossRequest, ctx: Signed = Depends(signed),  # noqa: B008
                key: str | None = Header(None, alias=s.IDEMPOTENCY_HEADER,  # noqa: B008
                                         min_length=8, max_length=128)) -> Any:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(s.ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        if not key:
            raise ApiProblem(s.ProblemCode.IDEMPOTENCY_KEY_MISSING, 400,
                             f"{s.IDEMPOTENCY_HEADER} header required")
        status, body, replayed = backend.register.idempotent(
            ctx.who.terminal_id, key, e.EsscPath.PRE_LOSS.value, ctx.body,
            lambda: essc_pre_loss(backend, req, key))
        headers = {s.IDEMPOTENT_REPLAY_HEADER: "true"} if replayed else None
        if "__problem__" in body:
            extra = {k: v for k, v in body.items() if k not in ("__problem__", "detail")}
            return _answer(_problem_for(body["__problem__"], status, body.get("detail", ""),
                                        extra), headers)
        return JSONResponse(body, status_code=status, headers=headers)

    app.include_router(router)


class IssueRequest(s.Unicode):
    persona: str = Field(max_length=64)
    expired: bool = False
    used: bool = False


class StatusRequest(s.Unicode):
    persona: str = Field(max_length=64)
    status: str = Field(default="revoked", max_length=16)


def essc_admin_router(store: ServiceBackend) -> APIRouter:
    """``/admin/essc/*`` (admin port, token): issue a code, revoke an identity."""
    admin = APIRouter(prefix="/admin/essc", include_in_schema=False)

    @admin.post("/codes")
    def issue(req: IssueRequest) -> Any:
        return store.simulation().essc_issue(req.persona, req.expired, req.used)

    @admin.post("/status")
    def status(req: StatusRequest) -> Any:
        return store.simulation().essc_set_status(req.persona, req.status)

    return admin
