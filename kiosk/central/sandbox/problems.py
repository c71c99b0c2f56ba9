"""The service's refusals as RFC 9457 problem+json: the answers every ``/v1`` route
documents (:data:`PROBLEM_RESPONSES`), one reply builder (:func:`problem_response`) and
the 422 for a body that breaks the schema (:func:`invalid_request`). Shared by the
``/v1`` app, the harness and the centre's operator app."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kiosk.central import schemas as s
from kiosk.central.sandbox.ports import Responses

PROBLEM_RESPONSES: Responses = {
    code: {"model": s.Problem, "description": desc,
           "content": {s.PROBLEM_CONTENT_TYPE: {"schema": {"$ref":
                                                           "#/components/schemas/Problem"}}}}
    for code, desc in ((400, "validation_error: the body is not a JSON document (not UTF-8, "
                             "not JSON) or its Content-Length is malformed; "
                             "idempotency_key_missing for a state change without one"),
                       (401, "bad_signature (every authentication failure, one answer: "
                             "missing or malformed headers, unknown terminal, wrong "
                             "signature), replayed or clock_skew. Never signed."),
                       (403, "refused (not_allowed, code_wrong, code_blocked); "
                             "handle_invalid: a handle not made here, another terminal's, "
                             "or not for this use (a card's chip alone cannot pre-lose); "
                             "terminal_revoked: the centre revoked this terminal's key "
                             "(answered, signed, only to a correctly signed request; "
                             "nothing else is served to it)"),
                       (404, "not_found or no_replacement"),
                       (409, "a card rule refused it, or idempotency_conflict"),
                       (410, "handle_expired: the lookup is too old for this use "
                             "(identify again)"),
                       (413, "too_large: the body is over the cap (checked before "
                             "authentication)"),
                       (422, "validation_error"),
                       (429, "rate_limited (per terminal, per ID number, per card "
                             "number) or "
                             "resend_too_soon; Retry-After gives the seconds"),
                       (500, "server_error: the service failed (nothing was done)"),
                       (503, "unavailable"))
}


def problem_response(status: int, code: s.ProblemCode, detail: str = "",
                     headers: dict[str, str] | None = None,
                     tries_left: int | None = None) -> JSONResponse:
    body = s.problem(code, status, detail, tries_left).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, media_type=s.PROBLEM_CONTENT_TYPE,
                        headers=headers)


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A 422 that names the fields, never echoes their values (they are personal data,
    and a value that is not valid Unicode could not even be written back)."""
    where = sorted({".".join(_loc_part(p) for p in e.get("loc", ())[1:]) or "body"
                    for e in exc.errors()})
    return problem_response(422, s.ProblemCode.VALIDATION_ERROR,
                            "invalid: " + ", ".join(where))


def _loc_part(part: object) -> str:
    """A field name or list index as it is; a dict key (which the sender chose, and may
    be a number or a name) as ``*``."""
    text = str(part)
    return text if isinstance(part, int) or _FIELD.fullmatch(text) else "*"


_FIELD = re.compile(r"[a-z_][a-z0-9_]{0,39}")
