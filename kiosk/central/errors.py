"""One exception tree for everything that can go wrong talking to the central service.

The services map these to screens by ``kind`` (i18n key ``central.error.<kind>``)::

    CentralError
     ├── CentralOffline      nothing reached the service (down, network, TLS, bad URL)
     ├── CentralTimeout      the service did not answer in time
     ├── CentralRefused      a 4xx problem with a stable ``code`` (rule, signature, …)
     │    └── CentralRevoked the centre revoked this terminal's key (signed 403)
     ├── CentralNotFound     404: no such person, card, challenge or replacement
     ├── CentralServerError  5xx, or retries exhausted on 5xx
     ├── CentralBadResponse  an answer that is not the contract (garbage, cut off,
     │                       too large, a redirect)
     └── CentralUnauthenticated  an answer not signed by the service for this request
                             (unsigned, forged, or replayed from another request)

    OutboxError              the local outbox cannot store (disk full, unwritable)

The two tables that turn the outside world into these errors (lower-layer exceptions and
HTTP statuses) sit side by side in :mod:`kiosk.central.error_tables`, so this module
needs no HTTP library: the UI and services can name the errors without loading requests.
Messages never contain personal data.
"""

from __future__ import annotations

from kiosk.central.schemas import TERMINAL_PROBLEM_CODES, ProblemCode


class CentralError(Exception):
    """Base class. ``kind`` names the i18n key; ``maybe_applied`` says whether a state
    change might have reached the service (so the screen must not claim it did not)."""

    kind = "error"
    maybe_applied = True
    # True only for an answer that carried the service's valid signature for this
    # request (set by the client); unsigned answers, forged or not, stay False.
    authenticated = False
    # True when this terminal refused to send at all (a malformed request, e.g. a queued
    # body the current contract no longer accepts): nothing went out.
    local = False
    # Seconds the service asked to wait before another try (its Retry-After), if any.
    retry_after: float | None = None

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(detail or self.kind)

    @property
    def i18n_key(self) -> str:
        return f"central.error.{self.kind}"


class CentralOffline(CentralError):
    """The request did not reach the service (connection refused, DNS, TLS, bad URL)."""

    kind = "offline"
    maybe_applied = False

    def __init__(self, detail: str = "", maybe_applied: bool = False) -> None:
        super().__init__(detail)
        # A connection dropped after the request was written may have been applied.
        self.maybe_applied = maybe_applied


class CentralTimeout(CentralError):
    """The service took longer than the read timeout; the change may have happened."""

    kind = "timeout"


class CentralRefused(CentralError):
    """The service refused the request with a problem ``code`` (4xx)."""

    kind = "refused"
    maybe_applied = False

    def __init__(self, code: str, detail: str = "", status: int = 400,
                 tries_left: int | None = None) -> None:
        self.code, self.status, self.tries_left = code, status, tries_left
        super().__init__(detail or code)
        self.args = (f"{status} {code}: {detail}" if detail else f"{status} {code}",)

    @property
    def terminal_problem(self) -> bool:
        """The terminal's key or clock is wrong: a technician, not the cardholder, fixes it."""
        return self.code in TERMINAL_PROBLEM_CODES

    @property
    def refusal_key(self) -> str:
        """i18n key of the specific reason, ``central.refused.<code>``."""
        return f"central.refused.{self.code}"


class CentralRevoked(CentralRefused):
    """The centre revoked this terminal's key (problem ``terminal_revoked``, a signed
    403): nothing will be served until a technician gives the terminal a new key or the
    centre reinstates it. The kiosk shows out of service with the hotline; queued
    requests are kept (a terminal problem, not the request's)."""

    kind = "revoked"
    code_value = ProblemCode.TERMINAL_REVOKED.value

    def __init__(self, detail: str = "", status: int = 403) -> None:
        super().__init__(ProblemCode.TERMINAL_REVOKED.value, detail, status)

    @property
    def terminal_problem(self) -> bool:
        return True


class CentralNotFound(CentralError):
    """404: the person, card, challenge or replacement does not exist (``code`` says which)."""

    kind = "not_found"
    maybe_applied = False

    def __init__(self, code: str = "not_found", detail: str = "") -> None:
        self.code = code
        super().__init__(detail or code)


class CentralServerError(CentralError):
    """The service failed (5xx)."""

    kind = "server_error"

    def __init__(self, detail: str = "", status: int | None = None) -> None:
        self.status = status
        super().__init__(detail)


class CentralBadResponse(CentralError):
    """The answer was not what the contract promises (garbage, truncated, wrong shape)."""

    kind = "bad_response"


class CentralUnauthenticated(CentralError):
    """The answer is not signed by the service for this request: missing, forged, or
    a signed answer replayed from another request. Nothing in it is trusted; a state
    change may or may not have reached the real service."""

    kind = "unauthenticated"


# Every kind a CentralError can carry (the i18n completeness test walks this).
CENTRAL_ERROR_KINDS = ("error", "offline", "timeout", "refused", "not_found", "server_error",
                       "bad_response", "unauthenticated", "revoked")


class OutboxError(Exception):
    """The local outbox could not store or update a request. ``kind``: ``full``,
    ``read_only``, ``unavailable`` or ``corrupt``. The request is NOT safely queued."""

    i18n_key = "central.error.outbox"

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind, self.detail = kind, detail
        super().__init__(f"outbox {kind}: {detail}" if detail else f"outbox {kind}")
