"""One exception tree for everything that can go wrong talking to the central service.

The services map these to screens by ``kind`` (i18n key ``central.error.<kind>``)::

    CentralError
     ├── CentralOffline      nothing reached the service (down, network, TLS, bad URL)
     ├── CentralTimeout      the service did not answer in time
     ├── CentralRefused      a 4xx problem with a stable ``code`` (rule, signature, …)
     ├── CentralNotFound     404: no such person, card, challenge or replacement
     ├── CentralServerError  5xx, or retries exhausted on 5xx
     ├── CentralBadResponse  an answer that is not the contract (garbage, cut off,
     │                       too large, a redirect)
     └── CentralUnauthenticated  an answer not signed by the service for this request
                             (unsigned, forged, or replayed from another request)

    OutboxError              the local outbox cannot store (disk full, unwritable)

Both error tables live here: lower-layer exceptions (:data:`REQUESTS_ERROR_MAP`, used by
:func:`map_requests_error`) and HTTP statuses (:data:`STATUS_CLASS_KIND`, used by
:func:`error_for_status`). Tests check that every ``requests`` exception class and every
status from 100 to 599 maps, and that every kind has words. Messages never contain
personal data.
"""

from __future__ import annotations

import requests
import urllib3

from kiosk.central.schemas import TERMINAL_PROBLEM_CODES


class CentralError(Exception):
    """Base class. ``kind`` names the i18n key; ``maybe_applied`` says whether a state
    change might have reached the service (so the screen must not claim it did not)."""

    kind = "error"
    maybe_applied = True

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
                       "bad_response", "unauthenticated")


class OutboxError(Exception):
    """The local outbox could not store or update a request. ``kind``: ``full``,
    ``read_only``, ``unavailable`` or ``corrupt``. The request is NOT safely queued."""

    i18n_key = "central.error.outbox"

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind, self.detail = kind, detail
        super().__init__(f"outbox {kind}: {detail}" if detail else f"outbox {kind}")


def _offline(exc: Exception) -> CentralError:
    # "Connection aborted" means the request was written and the peer hung up before
    # answering: it may have been applied. Refused/unreachable means it was not.
    text = str(exc)
    aborted = "aborted" in text.lower() or "RemoteDisconnected" in text
    return CentralOffline("connection dropped" if aborted else "cannot connect",
                          maybe_applied=aborted)


# Every requests exception class → how to build our error from it. Order does not
# matter: lookup walks the raised exception's MRO and the first listed class wins.
REQUESTS_ERROR_MAP: dict[type[BaseException], object] = {
    requests.exceptions.ConnectTimeout: lambda e: CentralOffline("connect timeout"),
    requests.exceptions.ReadTimeout: lambda e: CentralTimeout("read timeout"),
    requests.exceptions.Timeout: lambda e: CentralTimeout("timeout"),
    requests.exceptions.SSLError: lambda e: CentralOffline("TLS verification failed"),
    requests.exceptions.ProxyError: lambda e: CentralOffline("proxy error"),
    requests.exceptions.ConnectionError: _offline,
    requests.exceptions.ChunkedEncodingError: lambda e: CentralBadResponse("answer cut off"),
    requests.exceptions.ContentDecodingError: lambda e: CentralBadResponse("answer undecodable"),
    requests.exceptions.RetryError: lambda e: CentralServerError("retries exhausted"),
    requests.exceptions.TooManyRedirects: lambda e: CentralBadResponse("too many redirects"),
    requests.exceptions.JSONDecodeError: lambda e: CentralBadResponse("answer not JSON"),
    requests.exceptions.InvalidJSONError: lambda e: CentralBadResponse("invalid JSON"),
    requests.exceptions.StreamConsumedError: lambda e: CentralBadResponse("stream consumed"),
    # Configuration problems: the request cannot even be sent.
    requests.exceptions.MissingSchema: lambda e: CentralOffline("misconfigured URL"),
    requests.exceptions.InvalidSchema: lambda e: CentralOffline("misconfigured URL"),
    requests.exceptions.InvalidURL: lambda e: CentralOffline("misconfigured URL"),
    requests.exceptions.InvalidProxyURL: lambda e: CentralOffline("misconfigured proxy"),
    requests.exceptions.URLRequired: lambda e: CentralOffline("misconfigured URL"),
    requests.exceptions.InvalidHeader: lambda e: CentralOffline("invalid header"),
    requests.exceptions.UnrewindableBodyError: lambda e: CentralOffline("body not resendable"),
    requests.exceptions.HTTPError: lambda e: CentralServerError("HTTP error"),
    requests.exceptions.RequestException: lambda e: CentralOffline("request failed"),
}


# HTTP status class → what a non-2xx answer means. 2xx is the contract's success; a
# redirect is never followed (it could send the signed request elsewhere), so 3xx and
# 1xx are bad answers. 404 is refined to ``not_found`` and 4xx without a problem
# document to ``bad_response`` by :func:`error_for_status`.
STATUS_CLASS_KIND: dict[int, str] = {1: "bad_response", 2: "ok", 3: "bad_response",
                                     4: "refused", 5: "server_error"}


def error_for_status(status: int, code: str | None, detail: str = "",
                     tries_left: int | None = None,
                     retry_after: float | None = None) -> CentralError:
    """The :class:`CentralError` for a non-2xx answer; ``code`` is the problem document's
    code, ``None`` when the answer had no (valid) problem document."""
    kind = STATUS_CLASS_KIND.get(status // 100, "bad_response")
    if kind == "server_error":
        err = CentralServerError(code or f"HTTP {status}", status=status)
        err.retry_after = retry_after  # type: ignore[attr-defined]
        return err
    if kind == "refused" and code is not None:
        if status == 404:
            return CentralNotFound(code, detail)
        return CentralRefused(code, detail, status, tries_left)
    if 300 <= status < 400:
        return CentralBadResponse(f"HTTP {status}: redirects are not followed")
    return CentralBadResponse(f"HTTP {status} without a problem document")


def map_requests_error(exc: BaseException) -> CentralError:
    """The :class:`CentralError` for a lower-layer exception (requests, urllib3, OS)."""
    if isinstance(exc, CentralError):
        return exc
    for cls in type(exc).__mro__:
        builder = REQUESTS_ERROR_MAP.get(cls)
        if builder is not None:
            return builder(exc)  # type: ignore[operator]
    if isinstance(exc, (TimeoutError, urllib3.exceptions.TimeoutError)):
        return CentralTimeout("timeout")
    if isinstance(exc, OSError):
        return CentralOffline("network error")
    return CentralBadResponse(type(exc).__name__)
