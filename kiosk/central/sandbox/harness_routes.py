"""The test and demo harness: the admin app (:func:`create_admin_app`) and its
``/admin`` routes over the simulated core (:func:`harness_router`: reset, faults,
replacements, the last "SMS", records, time travel). Unsigned on purpose and served only
on the admin port, behind its token (see :mod:`kiosk.central.sandbox.app`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import Field

from kiosk.central import schemas as s
from kiosk.central.sandbox.essc import essc_admin_router
from kiosk.central.sandbox.faults import Faults
from kiosk.central.sandbox.fleet_routes import fleet_admin_router
from kiosk.central.sandbox.help_routes import help_admin_router
from kiosk.central.sandbox.problems import invalid_request, problem_response
from kiosk.central.sandbox.store import ApiProblem, ServiceBackend


class FaultRequest(s.Unicode):
    latency_ms: int | None = None
    hold_request_ms: int | None = None
    fail_next: int | None = None
    fail_status: int | None = None
    drop_next: int | None = None
    garbage_next: int | None = None
    outage: int | None = None   # 1: every /v1 connection dropped until 0 (the demo's outage)


class CardRef(s.Unicode):
    card_number: s.CardNumberStr
    mailed: bool = False
    outlet: str | None = Field(default=None, max_length=200)


class ClockRequest(s.Unicode):
    offset_days: float = 0


def create_admin_app(store: ServiceBackend, faults: Faults) -> FastAPI:
    """The test and demo harness, served on the admin port only (see the module doc):
    over the simulated core, in the sandbox and in the centre's demo and tests."""
    app = FastAPI(title="sandbox admin", openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, headers=exc.headers,
                                tries_left=exc.tries_left)

    app.exception_handler(RequestValidationError)(invalid_request)
    app.include_router(harness_router(store, faults))
    app.include_router(essc_admin_router(store))
    app.include_router(fleet_admin_router(store))
    app.include_router(help_admin_router(store))
    return app


def harness_router(store: ServiceBackend, faults: Faults) -> APIRouter:
    """The test and demo harness's ``/admin`` routes over the simulated core (reset,
    faults, replacements, the last "SMS", records, time travel): the sandbox's admin
    port, and the centre's with ``--harness``."""
    admin = APIRouter(prefix="/admin", include_in_schema=False)

    @admin.get("/health")
    def health() -> dict[str, object]:
        return {"ok": True, "db": str(getattr(store, "path", store.db.dialect))}

    @admin.post("/reset")
    def reset() -> dict[str, object]:
        store.reset()  # keeps the nonce table: a reset must not re-open old requests
        faults.clear()
        return {"ok": True}

    @admin.get("/faults")
    def get_faults() -> object:
        return asdict(faults.snapshot())

    @admin.post("/faults")
    def set_faults(req: FaultRequest) -> object:
        return asdict(faults.set(**req.model_dump()))

    @admin.delete("/faults")
    def clear_faults() -> dict[str, object]:
        faults.clear()
        return {"ok": True}

    @admin.post("/replacements/advance")
    def advance(req: CardRef) -> object:
        return store.advance_replacement(req.card_number)

    @admin.post("/replacements/apply")
    def apply(req: CardRef) -> object:
        return store.apply_replacement(req.card_number, req.mailed, req.outlet)

    @admin.get("/verification/last")
    def last_code(challenge_id: str | None = None) -> object:
        return store.last_code(challenge_id)

    @admin.get("/pre_losses")
    def pre_losses() -> object:
        return store.recorded_pre_losses()

    @admin.get("/cancellations")
    def cancellations() -> object:
        return store.recorded_cancellations()

    @admin.get("/heartbeats")
    def heartbeats() -> object:
        return store.heartbeats()

    @admin.get("/metrics")
    def metrics() -> Response:
        """The service's metrics (Prometheus text): the distinct-people alert, 429s."""
        return Response(store.watch.exposition(), media_type=CONTENT_TYPE_LATEST)

    @admin.post("/clock")
    def clock(req: ClockRequest) -> dict[str, object]:
        store.clock_offset = dt.timedelta(days=req.offset_days)
        return {"now": store.now().isoformat()}

    return admin
