"""The staff call's routes in the sandbox: the signed ``/v1/help/*`` operations a
terminal calls, and the staff side (admin port): the list, the acknowledgement
(``kiosk fleet ack``) and the per-outlet staff page that staff open on a phone.

The staff page is reached with a token of its own, one per outlet
(:func:`kiosk.central.sandbox.help_page.staff_token`, derived from the admin token), so
a phone at an outlet holds no key to the rest of the admin side: the gate lets that
token open that outlet's page and acknowledge that outlet's calls, nothing else.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from kiosk.central import schemas_help as sh
from kiosk.central.sandbox.gate import SignedDep
from kiosk.central.sandbox.help_page import STAFF_PREFIX, render_staff_page
from kiosk.central.sandbox.ports import Backend, Responses
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.schemas import ProblemCode

REQUEST_DESCRIPTION = (
    "A cardholder pressed \"call staff\" (一键呼叫) on the terminal or its keypad. Holds no "
    "personal data: the terminal (the signer), its outlet, the screen's step and the "
    "terminal's clock. The centre shows it at the top of the fleet page and on the "
    "outlet's staff page until staff acknowledge it. A repeat with the same `request_id` "
    "answers the same ticket; another terminal's `request_id` is 403 `not_allowed`. "
    "Reveals only the ticket: its state and the centre's times.")
STATUS_DESCRIPTION = (
    "How one of this terminal's calls stands: `waiting`, or `acknowledged` with the time "
    "staff answered (the terminal then says \"staff are on their way\"). Another "
    "terminal's call is 404. Reveals nothing beyond the ticket.")


def help_v1_router(backend: Backend, responses: Responses) -> APIRouter:
    """``/v1/help/request`` and ``/v1/help/status`` over the backend's register."""
    register = backend.register
    v1 = APIRouter(responses=responses)

    @v1.post(sh.HelpPath.REQUEST, response_model=sh.HelpTicket,
             summary="Call staff to the terminal (一键呼叫)", description=REQUEST_DESCRIPTION)
    def request(req: sh.HelpRequest, ctx: SignedDep) -> object:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        return register.help_request(ctx.who.terminal_id, req.request_id, req.outlet,
                                     req.step, req.at)

    @v1.post(sh.HelpPath.STATUS, response_model=sh.HelpTicket,
             summary="How a staff call stands", description=STATUS_DESCRIPTION)
    def status(req: sh.HelpStatusRequest, ctx: SignedDep) -> object:
        if req.terminal_id != ctx.who.terminal_id:
            raise ApiProblem(ProblemCode.NOT_ALLOWED, 403, "terminal_id is not the signer")
        return register.help_status(ctx.who.terminal_id, req.request_id)

    return v1


class AckRequest(BaseModel):
    """``kiosk fleet ack``: a terminal's oldest unanswered call, or (``request_id``) that
    call, which must be the terminal's when both are given."""

    request_id: str | None = Field(default=None, pattern=sh.REQUEST_ID_PATTERN)
    terminal_id: str | None = Field(default=None, max_length=64)


def help_admin_router(backend: Backend) -> APIRouter:
    """The staff side: list calls, acknowledge one, the per-outlet staff page."""
    register = backend.register
    admin = APIRouter(prefix="/admin/fleet", include_in_schema=False)

    @admin.get("/help")
    def calls(outlet: str | None = None) -> object:
        return {"server_time": backend.now().isoformat(),
                "help_requests": register.help_calls(outlet)}

    @admin.post("/help/ack")
    def ack(req: AckRequest) -> object:
        request_id = req.request_id
        if request_id is not None and req.terminal_id:
            register.help_status(req.terminal_id, request_id)  # 404 unless this terminal's
        elif request_id is None and req.terminal_id:
            request_id = register.help_oldest_waiting(req.terminal_id)
            if request_id is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404,
                                 "no unanswered staff call from this terminal")
        if request_id is None:
            raise ApiProblem(ProblemCode.VALIDATION_ERROR, 422,
                             "invalid: give request_id or terminal_id")
        return register.help_acknowledge(request_id, "fleet_cli")

    @admin.get(STAFF_PREFIX + "/{outlet}", response_class=HTMLResponse)
    def staff_page(outlet: str, token: str = "") -> HTMLResponse:
        return HTMLResponse(render_staff_page(outlet, register.help_calls(outlet),
                                              backend.now(), token))

    @admin.post(STAFF_PREFIX + "/{outlet}/ack/{request_id}")
    def staff_ack(outlet: str, request_id: str, token: str = "") -> RedirectResponse:
        register.help_acknowledge(request_id, "staff_page", outlet=outlet)
        # Back to the page (Post/Redirect/Get: a reload does not post again).
        return RedirectResponse(f"/admin/fleet{STAFF_PREFIX}/{quote(outlet, safe='')}"
                                f"?token={quote(token, safe='')}", status_code=303)

    return admin
