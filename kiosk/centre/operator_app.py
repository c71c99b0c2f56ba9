"""The operators' routes on the centre's admin port (each behind a role; every change
audited: who, when, which terminals, what, why).

| route | role |
|---|---|
| ``GET /admin/health`` | viewer |
| ``GET /admin/fleet`` (the page; ``?token=`` for a browser) | viewer |
| ``GET /admin/fleet/terminals[?page=&per=]`` | viewer |
| ``POST /admin/fleet/terminals/{id}/pause|resume|config|bundle[?reason=]`` | operator |
| ``GET /admin/fleet/bundles`` | viewer |
| ``POST /admin/rollouts``, ``GET /admin/rollouts`` | operator / viewer |
| ``GET /admin/audit``, ``GET /admin/audit/export?format=csv|jsonl`` | viewer |
| ``GET /metrics`` (Prometheus, aggregated over the province) | viewer |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from kiosk.central.sandbox.fleet_routes import (
    ConfigPush,
    PauseRequest,
    check_overlay_remotely,
    queue_directive,
)
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.schemas import ProblemCode
from kiosk.centre.backend import CentreBackend
from kiosk.centre.fleet_page import PageQuery, query_page, render_page
from kiosk.centre.metrics import render_metrics
from kiosk.centre.operators import Operator, Operators
from kiosk.centre.rollouts import RolloutRequest, Rollouts
from kiosk.centre.settings import CentreConfig

OPERATOR_STATE = "kiosk.operator"


def role(needed: str) -> Callable[[Request], Operator]:
    """A dependency: the authenticated operator, if their role includes ``needed``."""
    def check(request: Request) -> Operator:
        operator = request.scope.get("state", {}).get(OPERATOR_STATE)
        if not isinstance(operator, Operator):
            raise ApiProblem(ProblemCode.BAD_SIGNATURE, 401, "operator token required")
        if not operator.may(needed):
            raise ApiProblem(ProblemCode.NOT_ALLOWED, 403, f"needs the {needed} role")
        return operator
    return check


def operator_router(backend: CentreBackend, operators: Operators,
                    config: CentreConfig) -> APIRouter:
    """The routes in the module doc."""
    admin = APIRouter(include_in_schema=False)
    fleet = backend.fleet
    rollouts = Rollouts(backend.db, fleet, operators)
    viewer = Depends(role("viewer"))
    operator = Depends(role("operator"))

    def directive(who: Operator, terminal_id: str, kind: str, why: str,
                  **fields: object) -> dict[str, object]:
        overlay = fields.get("overlay")
        with backend.db.tx():
            body = queue_directive(fleet, terminal_id, kind, **fields)
            operators.audit(who.name, f"directive_{kind}", [terminal_id],
                            {k: v for k, v in body.items() if k != "overlay"}
                            | ({"overlay_keys": sorted(overlay)}
                               if isinstance(overlay, Mapping) else {}), why)
        return body

    @admin.get("/admin/health")
    def health(who: Operator = viewer) -> object:
        return {"ok": True, "db": "postgresql", "operator": who.name, "role": who.role}

    @admin.get("/admin/fleet", response_class=HTMLResponse)
    def page(request: Request, who: Operator = viewer) -> HTMLResponse:
        q = PageQuery.parse(dict(request.query_params))
        data = query_page(backend.db, q)
        token = request.query_params.get("token", "")
        html = render_page(data, q, dt.datetime.now(dt.UTC), config.timezone,
                           "/admin/fleet", token, operators.entries(limit=10))
        return HTMLResponse(html, headers={"Cache-Control": "no-store",
                                           "Referrer-Policy": "no-referrer"})

    @admin.get("/admin/fleet/terminals")
    def terminals(page: int = Query(1, ge=1, le=100_000), per: int = Query(500, ge=1,
                                                                             le=2000),
                  who: Operator = viewer) -> object:
        return {"server_time": backend.now().isoformat(),
                "terminals": fleet.terminals(limit=per, offset=(page - 1) * per)}

    @admin.post("/admin/fleet/terminals/{terminal_id}/pause")
    def pause(terminal_id: str, req: PauseRequest, reason: str = Query("", max_length=500),
              who: Operator = operator) -> object:
        return directive(who, terminal_id, "pause", reason, reason=req.reason.value,
                         guidance_readable=req.guidance_readable)

    @admin.post("/admin/fleet/terminals/{terminal_id}/resume")
    def resume(terminal_id: str, reason: str = Query("", max_length=500),
               who: Operator = operator) -> object:
        return directive(who, terminal_id, "resume", reason)

    @admin.post("/admin/fleet/terminals/{terminal_id}/config")
    def push_config(terminal_id: str, req: ConfigPush,
                    reason: str = Query("", max_length=500), who: Operator = operator) -> object:
        check_overlay_remotely(req.overlay)
        return directive(who, terminal_id, "config", reason, overlay=req.overlay,
                         version=req.version)

    @admin.post("/admin/fleet/terminals/{terminal_id}/bundle")
    def bundle(terminal_id: str, reason: str = Query("", max_length=500),
               who: Operator = operator) -> object:
        return directive(who, terminal_id, "collect_bundle", reason)

    @admin.post("/admin/fleet/terminals/{terminal_id}/revoke")
    def revoke(terminal_id: str, reason: str = Query("", max_length=500),
               who: Operator = Depends(role("admin"))) -> object:  # noqa: B008
        return set_revoked(who, terminal_id, True, reason)

    @admin.post("/admin/fleet/terminals/{terminal_id}/reinstate")
    def reinstate(terminal_id: str, reason: str = Query("", max_length=500),
                  who: Operator = Depends(role("admin"))) -> object:  # noqa: B008
        return set_revoked(who, terminal_id, False, reason)

    def set_revoked(who: Operator, terminal_id: str, revoked: bool,
                    why: str) -> dict[str, object]:
        """Revoke at once (no directive: a stolen terminal would not obey one), or
        reinstate; audited."""
        with backend.db.tx():
            (backend.keys.revoke if revoked else backend.keys.reinstate)(terminal_id)
            operators.audit(who.name, "terminal_revoke" if revoked else
                            "terminal_reinstate", [terminal_id], {}, why)
        return {"terminal_id": terminal_id, "revoked": revoked}

    @admin.get("/admin/fleet/bundles")
    def bundles(who: Operator = viewer) -> object:
        return fleet.bundles()

    @admin.post("/admin/rollouts")
    def start_rollout(req: RolloutRequest, who: Operator = operator) -> object:
        if req.kind == "config" and req.overlay is not None:
            check_overlay_remotely(req.overlay)
        return rollouts.start(req, who.name)

    @admin.get("/admin/rollouts")
    def list_rollouts(who: Operator = viewer) -> object:
        return rollouts.list()

    @admin.get("/admin/audit")
    def audit(before: int | None = Query(None, ge=1), limit: int = Query(50, ge=1, le=500),
              who: Operator = viewer) -> object:
        return operators.entries(limit=limit, before=before)

    @admin.get("/admin/audit/export")
    def export(format: str = Query("csv", pattern="^(csv|jsonl)$"),  # noqa: A002
               who: Operator = viewer) -> Response:
        media = "text/csv" if format == "csv" else "application/x-ndjson"
        return PlainTextResponse(operators.export(format), media_type=media, headers={
            "Content-Disposition": f'attachment; filename="audit.{format}"'})

    @admin.get("/metrics")
    def metrics(who: Operator = viewer) -> Response:
        return PlainTextResponse(render_metrics(backend.db),
                                 media_type="text/plain; version=0.0.4")

    return admin
