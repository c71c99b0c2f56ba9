"""Shared pieces of the sandbox store: the problem exception and time helpers."""

from __future__ import annotations

import datetime as dt

from kiosk.central.sandbox.rules import CHINA_TZ
from kiosk.central.schemas import ProblemCode
from kiosk.domain.card_states import RuleViolation


class ApiProblem(Exception):
    """A refusal to return as problem+json (``status``, stable ``code``)."""

    def __init__(self, code: ProblemCode, status: int, detail: str = "", *,
                 tries_left: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.code, self.status, self.detail = code, status, detail
        #: the problem's one optional field (a code's tries left) and the reply's headers
        self.tries_left, self.headers = tries_left, headers
        super().__init__(f"{status} {code.value}")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    """A moment on a China calendar day (seed history)."""
    return dt.datetime.combine(day, dt.time(hour), CHINA_TZ).astimezone(dt.UTC)


def _rule(exc: RuleViolation) -> ApiProblem:
    try:
        code = ProblemCode(exc.code)
    except ValueError:
        code = ProblemCode.NOT_ALLOWED
    return ApiProblem(code, 409, f"not allowed in the card's state ({exc.code})")


class _Committed(Exception):
    """Wraps an :class:`ApiProblem` whose side effect (a spent try) must be committed."""

    def __init__(self, problem: ApiProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class EsscRefused(Exception):  # noqa: N818 - a refusal, answered as its problem
    """An e-SSC refusal (``refusal`` is a :class:`kiosk.central.schemas_essc.EsscRefusal`
    value), answered as its problem document."""

    def __init__(self, refusal: str, detail: str = "") -> None:
        self.refusal, self.detail = refusal, detail
        super().__init__(refusal)


class ServiceClock:
    """Service time (UTC), shifted by the sandbox admin's clock offset (lapse tests)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        """The service's now."""
        return dt.datetime.now(dt.UTC) + self.offset
