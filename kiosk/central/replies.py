"""The service's answer as the client reads it: the operation's model for a 2xx, the
right :class:`~kiosk.central.errors.CentralError` otherwise (:func:`decode_reply`), and
the one kind of answer that may come unsigned, a 401 naming a terminal problem
(:func:`check_unsigned`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from kiosk.central import schemas as s
from kiosk.central.error_tables import error_for_status
from kiosk.central.errors import CentralBadResponse, CentralUnauthenticated

M = TypeVar("M", bound=BaseModel)


def check_unsigned(status: int, content: bytes) -> None:
    """Accept an unsigned answer only as a 401 naming a terminal problem (the service
    never signs 401s); anything else unsigned is :class:`CentralUnauthenticated`. A
    forged 401 can only deny service, which whoever can forge it can do anyway."""
    if status == 401:
        try:
            problem = s.Problem.model_validate_json(content)
        except ValidationError:
            problem = None
        if problem is not None and problem.code in s.TERMINAL_PROBLEM_CODES:
            return
    raise CentralUnauthenticated(f"HTTP {status} answer not signed by the service")


def decode_reply(status: int, headers: Mapping[str, str], content: bytes, model: type[M]) -> M:
    """The model for a 2xx answer, or the right :class:`CentralError` (the status table
    is :func:`kiosk.central.error_tables.error_for_status`). Raises only ``CentralError``."""
    if 200 <= status < 300:
        try:
            return model.model_validate_json(content)
        except (ValidationError, ValueError, RecursionError):
            raise CentralBadResponse(f"answer does not match the contract ({status})") from None
    ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
    problem: s.Problem | None = None
    if ctype in (s.PROBLEM_CONTENT_TYPE, "application/json"):
        try:
            problem = s.Problem.model_validate_json(content)
        except (ValidationError, ValueError, RecursionError):
            problem = None
    retry_after = headers.get("Retry-After", "")
    raise error_for_status(status, problem.code if problem else None,
                           problem.detail if problem else "",
                           problem.tries_left if problem else None,
                           float(retry_after) if _digits(retry_after) else None)


def _digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``²``, which ``float`` refuses)."""
    return text.isascii() and text.isdigit() and len(text) < 10
