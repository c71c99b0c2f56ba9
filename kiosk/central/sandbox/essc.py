"""The ``/v1/essc`` routes (contract in :mod:`kiosk.central.schemas_essc`) and the
simulated e-SSC platform's admin side.

The platform's part lives in the simulated core
(:meth:`kiosk.central.sandbox.core.SimulatedCore.essc_identify`): personas with an
``essc`` table carry an e-SSC identity (``status = "active"`` or ``"revoked"``); the
admin side issues a code for a persona (``POST /admin/essc/codes {persona, expired,
used}``; ``expired``/``used`` make a code that is already past its 60 s or already
spent, for the refusal screens); ``/v1/essc/verify`` spends it once and answers the
person's cards as any lookup does (masked, with handles that may pre-lose, made by the
route layer: :class:`kiosk.central.sandbox.answers.Answers`). Like a real issuer, the
platform keeps only SHA-256 hashes of codes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from kiosk.central import schemas as s
from kiosk.central import schemas_essc as e
from kiosk.central.sandbox.answers import Answers
from kiosk.central.sandbox.gate import Signed
from kiosk.central.sandbox.operations import essc_verify
from kiosk.central.sandbox.ports import Backend, Responses
from kiosk.central.sandbox.store import ServiceBackend
from kiosk.central.sandbox.store_util import EsscRefused


def _answer(problem: s.Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=problem.status,
                        media_type=s.PROBLEM_CONTENT_TYPE, headers=headers)


def add_essc_routes(app: FastAPI, backend: Backend, answers: Answers,
                    signed: Callable[[Request], Awaitable[Signed]], common: Responses) -> None:
    """Mount ``/v1/essc/verify`` on the sandbox app (``signed``: the app's dependency
    giving the gate-verified request; ``common``: its problem answers)."""
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
    def verify(req: e.EsscVerifyRequest, ctx: Signed = Depends(signed)) -> object:  # noqa: B008
        try:
            found = essc_verify(backend, req.code, ctx.who.terminal_id)
        except EsscRefused as exc:
            return _answer(e.essc_problem(e.EsscRefusal(exc.refusal), exc.detail))
        backend.watch.saw(ctx.who.terminal_id, "person:" + str(found.get("person_ref")))
        return answers.person(found, "essc", ctx.who.terminal_id)

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
    def issue(req: IssueRequest) -> object:
        return store.simulation().essc_issue(req.persona, req.expired, req.used)

    @admin.post("/status")
    def status(req: StatusRequest) -> object:
        return store.simulation().essc_set_status(req.persona, req.status)

    return admin
