"""The two tables that turn the outside world into :mod:`kiosk.central.errors`, side by side:
lower-layer exceptions (:data:`REQUESTS_ERROR_MAP`, used by :func:`map_requests_error`)
and HTTP statuses (:data:`STATUS_CLASS_KIND`, used by :func:`error_for_status`). Tests
check that every ``requests`` exception class and every status from 100 to 599 maps."""

from __future__ import annotations

import http.client

import requests
import urllib3

from kiosk.central.errors import (
    CentralBadResponse,
    CentralError,
    CentralNotFound,
    CentralOffline,
    CentralRefused,
    CentralRevoked,
    CentralServerError,
    CentralTimeout,
)

# Where urllib3 failed, by type: before the request was written (no connection: refused,
# unresolvable, a connect timeout) or after (the peer hung up or reset the connection
# before answering: urllib3's ProtocolError, "Connection aborted.").
NOT_CONNECTED = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
DROPPED = (urllib3.exceptions.ProtocolError, http.client.RemoteDisconnected)


def dropped_after_sending(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection broke after the request was written (it may
    have been applied): the nearest urllib3 or http.client error it wraps, by type."""
    todo, seen = [exc], set()
    while todo:
        err = todo.pop(0)
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, NOT_CONNECTED):
            return False
        if isinstance(err, DROPPED):
            return True
        inner = [*err.args, getattr(err, "reason", None), err.__cause__, err.__context__]
        todo += [e for e in inner if isinstance(e, BaseException)]
    return False


def _offline(exc: Exception) -> CentralError:
    # Dropped after sending: the request may have been applied. Refused/unreachable: not.
    aborted = dropped_after_sending(exc)
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
        err.retry_after = retry_after
        return err
    if kind == "refused" and code is not None:
        if code == CentralRevoked.code_value:
            return CentralRevoked(detail, status)
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
