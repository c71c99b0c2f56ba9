"""The fleet's routes in the sandbox: the signed ``/v1/fleet`` operations a terminal
calls, and the admin operations an operator uses (``kiosk fleet ...``).

``/v1/fleet/*`` sits behind the same gate as every ``/v1`` call (body cap, signature,
nonce, rate limit) and its answers are signed there. The admin routes are on the admin
port only, behind its token, like the rest of ``/admin``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import Field, JsonValue

from kiosk.central import schemas_fleet as f
from kiosk.central.sandbox.fleet_page import render_fleet_page
from kiosk.central.sandbox.gate import SignedDep
from kiosk.central.sandbox.ports import Answer, Backend, FleetRegister, Responses
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.schemas import ProblemCode, Unicode
from kiosk.config_remote import check_remote


def fleet_v1_router(backend: Backend, max_skew: float,
                    responses: Responses) -> APIRouter:
    """``/v1/fleet/heartbeat`` and ``/v1/fleet/bundle`` over the backend's register."""
    fleet, store = backend.fleet, backend
    v1 = APIRouter(responses=responses)

    @v1.post(f.FleetPath.HEARTBEAT, response_model=f.FleetHeartbeatResult,
             summary="Fleet heartbeat: status and counts in, directives out",
             description="The terminal's parts, counts since its previous heartbeat and "
                         "the outcomes of directives it handled (no personal data: codes, "
                         "numbers and enums only). The answer repeats every directive not "
                         "yet acknowledged; each has an id the terminal applies once.")
    def heartbeat(req: f.FleetHeartbeat, ctx: SignedDep) -> object:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        now = store.now()
        accepted = abs((req.clock - now).total_seconds()) <= max_skew
        return {"server_time": now, "accepted": accepted,
                "directives": fleet.heartbeat(req, now)}

    @v1.post(f.FleetPath.BUNDLE, response_model=f.BundleChunkResult,
             summary="Upload a part of a support bundle the centre asked for",
             description="Chunks of the `.tar.gz` in base64, in order; the last one "
                         "completes it when the sha256 of the whole matches.")
    def bundle(req: f.BundleChunk, ctx: SignedDep) -> object:
        return fleet.bundle_chunk(ctx.who.terminal_id, req)

    return v1


class PauseRequest(Unicode):
    """An operator's pause: why, and whether guidance stays readable."""

    reason: f.PauseReason
    guidance_readable: bool = True


class ConfigPush(Unicode):
    """An operator's config overlay (version: one above the last when not given)."""

    overlay: dict[str, dict[str, JsonValue]] = Field(max_length=32)
    version: int | None = Field(default=None, ge=1)


def fleet_admin_router(store: Backend) -> APIRouter:
    """The operator's side (admin port, token): list, pause, resume, push a config
    overlay, request a bundle, revoke or reinstate a terminal's key, and the read-only
    fleet page."""
    fleet = store.fleet
    admin = APIRouter(prefix="/admin/fleet", include_in_schema=False)

    def directive(terminal_id: str, kind: str, **fields: object) -> Answer:
        return queue_directive(fleet, terminal_id, kind, **fields)

    @admin.get("/terminals")
    def terminals() -> object:
        return {"server_time": store.now().isoformat(), "terminals": fleet.terminals(),
                "help_requests": store.register.help_calls()}

    @admin.post("/terminals/{terminal_id}/pause")
    def pause(terminal_id: str, req: PauseRequest) -> object:
        return directive(terminal_id, "pause", reason=req.reason.value,
                         guidance_readable=req.guidance_readable)

    @admin.post("/terminals/{terminal_id}/resume")
    def resume(terminal_id: str) -> object:
        return directive(terminal_id, "resume")

    @admin.post("/terminals/{terminal_id}/config")
    def push_config(terminal_id: str, req: ConfigPush) -> object:
        check_overlay_remotely(req.overlay)
        return directive(terminal_id, "config", overlay=req.overlay, version=req.version)

    @admin.post("/terminals/{terminal_id}/bundle")
    def bundle(terminal_id: str) -> object:
        return directive(terminal_id, "collect_bundle")

    @admin.post("/terminals/{terminal_id}/revoke")
    def revoke(terminal_id: str) -> object:
        """Revoke the terminal's key at once (no directive: a stolen terminal would not
        obey one). Its next signed call gets 403 ``terminal_revoked``."""
        if not _terminal_shape(terminal_id):
            raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422, "invalid: terminal")
        store.keys.revoke(terminal_id)
        return {"terminal_id": terminal_id, "revoked": True}

    @admin.post("/terminals/{terminal_id}/reinstate")
    def reinstate(terminal_id: str) -> object:
        """Take a revoked key back."""
        if not _terminal_shape(terminal_id):
            raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422, "invalid: terminal")
        store.keys.reinstate(terminal_id)
        return {"terminal_id": terminal_id, "revoked": False}

    @admin.get("/bundles")
    def bundles() -> object:
        return fleet.bundles()

    @admin.get("", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(render_fleet_page(fleet.terminals(), store.now(),
                                              store.register.help_calls()))

    return admin


def queue_directive(fleet: FleetRegister, terminal_id: str, kind: str,
                    **fields: object) -> Answer:
    """Queue a directive for one terminal (422 when its id or the directive's shape is
    one a terminal would refuse, 404 when the terminal is unknown)."""
    if not _terminal_shape(terminal_id):
        raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422, "invalid: terminal")
    try:
        return fleet.add_directive(terminal_id, kind, **fields)
    except ValueError as exc:  # the shape a terminal would refuse to parse
        raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422,
                         "invalid: " + _fields(exc)) from None


def check_overlay_remotely(overlay: Mapping[str, Mapping[str, object]]) -> None:
    """The terminal's own check (kiosk/config_remote.py), as far as it holds on every
    terminal: the allow-list, types and remote bounds (422 naming each refusal). The
    official hotlines and the "tighter only" bounds need the terminal's local config:
    it checks those."""
    refusals = check_remote(overlay)
    if refusals:
        raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422,
                         "; ".join(r.line() for r in refusals))


def _terminal_shape(terminal_id: str) -> bool:
    return re.fullmatch(f.TERMINAL_PATTERN, terminal_id) is not None


def _fields(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return ", ".join(sorted({".".join(str(p) for p in e.get("loc", ())[-2:])
                                 for e in errors()})) or "directive"
    return "directive"
