"""The sandbox's front door, in front of everything else (ASGI).

In this order, for ``/v1`` on the public port:

1. **Body cap** before anything is parsed or authenticated: a declared or actual body
   over :data:`MAX_BODY_BYTES` is 413, a malformed ``Content-Length`` 400.
2. **Authentication** (:func:`kiosk.central.signing.verify_request`): every failure —
   missing or malformed headers, unknown terminal, wrong signature — is the SAME 401
   ``bad_signature`` "request not authenticated" (the reason is logged, not told, so
   terminal ids cannot be probed); then ``clock_skew`` and ``replayed`` (401).
3. **Rate limit per terminal** (429 ``rate_limited`` with ``Retry-After``).
4. **A body that is not JSON** (not UTF-8, not JSON text) is 400 ``validation_error``,
   problem+json and signed, before any framework parses it: every operation answers it
   the same documented way (FastAPI's own parse error was an undocumented plain 400).
5. The request runs (fault injector, then the API), and its reply is **signed**
   (:func:`kiosk.central.signing.reply_signature`) with the terminal key over the
   request's nonce, the status and the body hash. 401s are never signed.

The admin API is served only on its own port (bound to loopback by the server) and
only with ``Authorization: Bearer <token>``; on the public port ``/admin`` does not exist.
An outlet's staff page (``/admin/fleet/staff/<outlet>``, and its acknowledge button) also
opens with ``?token=`` that outlet's own staff token (kiosk/central/sandbox/help_page.py).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.central import schemas as s
from kiosk.central.sandbox.help_page import staff_path_outlet, staff_token
from kiosk.central.sandbox.limits import TERMINAL_LIMIT
from kiosk.central.sandbox.ports import Backend, Limiter, TerminalKeys
from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.signing import (
    H_REPLY_SIGNATURE,
    H_TERMINAL,
    NOT_AUTHENTICATED,
    TERMINAL_RE,
    SignatureError,
    SignedRequest,
    reply_signature,
    verify_request,
)
from kiosk.logs import get_logger

log = get_logger("kiosk.central.sandbox")
MAX_BODY_BYTES = 16 * 1024  # every /v1 request is a few hundred bytes
SIGNED_STATE = "kiosk.signed"
OPENAPI_PATH = s.API_PREFIX + "/openapi.json"
FLEET_PAGE = "/admin/fleet"


@dataclass(frozen=True)
class Signed:
    """A verified request: who signed it and the exact body bytes (for idempotency)."""

    who: SignedRequest
    body: bytes


async def _answer(send: Send, status: int, body: bytes, ctype: bytes,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype),
                            (b"content-length", str(len(body)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


async def send_problem(send: Send, status: int, code: s.ProblemCode, detail: str = "",
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer a problem+json document straight from ASGI."""
    body = s.problem(code, status, detail).model_dump_json(exclude_none=True)
    await _answer(send, status, body.encode(), s.PROBLEM_CONTENT_TYPE.encode(), headers)


class _SigningSend:
    """Buffers one reply and sends it with its signature header (401s unsigned).
    ``transport`` is passed through for the fault injector's dropped connections."""

    def __init__(self, send: Send, key: bytes, nonce: str) -> None:
        self._send, self._key, self._nonce = send, key, nonce
        self.transport = getattr(getattr(send, "__self__", None), "transport", None)
        self._start: Message | None = None
        self._parts: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._parts.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body, status = b"".join(self._parts), self._start["status"]
        headers = [(k, v) for k, v in self._start.get("headers", [])
                   if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        if status != 401:
            sig = reply_signature(self._key, self._nonce, status, body)
            headers.append((H_REPLY_SIGNATURE.lower().encode(), sig.encode()))
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


class Gate:
    """Routes the admin port to the admin app and guards ``/v1`` (see the module doc)."""

    def __init__(self, public: ASGIApp, admin: ASGIApp, backend: Backend, max_skew: float,
                 admin_token: str) -> None:
        self.public, self.admin, self.backend = public, admin, backend
        self.keys: TerminalKeys = backend.keys
        self.max_skew, self.admin_token = max_skew, admin_token
        self.admin_ports: set[int] = set()  # filled by the server once bound
        self.terminal_limit: Limiter = backend.limiter(TERMINAL_LIMIT, "terminal")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.public(scope, receive, send)
            return
        server = scope.get("server") or (None, None)
        if server[1] in self.admin_ports:
            await self._admin(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith("/admin"):
            await send_problem(send, 404, s.ProblemCode.NOT_FOUND, "no such path")
            return
        if not path.startswith(s.API_PREFIX + "/") or path == OPENAPI_PATH:
            await self.public(scope, receive, send)
            return
        await self._v1(scope, receive, send)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = _header(scope, b"authorization")
        outlet = staff_path_outlet(scope.get("method", ""), scope.get("path", ""))
        if not given and outlet is not None:
            # A staff page on a phone: its own outlet's token, good for that page only.
            if hmac.compare_digest(_query_token(scope).encode(),
                                   staff_token(self.admin_token, outlet).encode()):
                await self.admin(scope, receive, send)
                return
        if not given and scope.get("method") == "GET" and scope.get("path") == FLEET_PAGE:
            # The read-only fleet page opens in a browser, which cannot send a header.
            given = "Bearer " + _query_token(scope)
        if not (given.startswith("Bearer ") and hmac.compare_digest(
                given[7:].encode(), self.admin_token.encode())):
            await _answer(send, 401, b'{"detail":"admin token required"}', b"application/json")
            return
        await self.admin(scope, receive, send)

    async def _v1(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _header(scope, b"content-length")
        if declared and not (declared.isascii() and declared.isdigit() and len(declared) < 12):
            await send_problem(send, 400, s.ProblemCode.VALIDATION_ERROR,
                               "Content-Length malformed")
            return
        if declared and int(declared) > MAX_BODY_BYTES:
            await send_problem(send, 413, s.ProblemCode.TOO_LARGE,
                               f"body over {MAX_BODY_BYTES} bytes")
            return
        body = await _read_body(receive, MAX_BODY_BYTES)
        if body is None:
            await send_problem(send, 413, s.ProblemCode.TOO_LARGE,
                               f"body over {MAX_BODY_BYTES} bytes")
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            # The key lookup, the nonce and the rate limit may wait on a database: off
            # the event loop, in one hop.
            who, key, revoked, wait = await run_in_threadpool(self._authenticate, scope,
                                                               body, headers)
        except SignatureError as exc:
            log.warning("request refused", extra={"fields": {"reason": exc.detail}})
            detail = NOT_AUTHENTICATED if exc.code == "bad_signature" else exc.detail
            await send_problem(send, 401, s.ProblemCode(exc.code), detail)
            return
        except ApiProblem as exc:  # replayed
            await send_problem(send, exc.status, exc.code, exc.detail)
            return
        signer = _SigningSend(send, key, who.nonce)
        if revoked:
            # Only a holder of the key gets here: tell it, signed, so the terminal can
            # trust it and show out of service (an unsigned answer would let anyone on
            # the way take terminals out of service).
            log.warning("revoked terminal refused", extra={"fields": {
                "terminal": who.terminal_id}})
            await send_problem(signer.send, 403, s.ProblemCode.TERMINAL_REVOKED,
                               "this terminal's key has been revoked")
            return
        if wait:  # counted by its limit in _authenticate (watch.refused)
            await send_problem(signer.send, 429, s.ProblemCode.RATE_LIMITED,
                               "too many requests from this terminal",
                               headers=[(b"retry-after", str(int(wait) + 1).encode())])
            return
        if body and not is_json(body):
            await send_problem(signer.send, 400, s.ProblemCode.VALIDATION_ERROR,
                               NOT_JSON)
            return
        scope.setdefault("state", {})[SIGNED_STATE] = Signed(who, body)
        await self.public(scope, _replay(body, receive), signer.send)


    def _authenticate(self, scope: Scope, body: bytes, headers: dict[str, str]
                      ) -> tuple[SignedRequest, bytes, bool, float]:
        """Signature, nonce, revocation, then the terminal's rate limit: who, their key,
        whether the key is revoked, and the seconds to wait (0.0: go on)."""
        who, key = self._verify(scope, body, headers)
        with self.backend.db.relaxed():
            self.backend.register.remember_nonce(who.terminal_id, who.nonce, self.max_skew)
            if self.keys.revoked(who.terminal_id):
                return who, key, True, 0.0
            wait = self.terminal_limit.take(who.terminal_id)
            if wait:  # the 429 is counted by its limit, never by the terminal
                self.backend.watch.refused("terminal")
            return who, key, False, wait

    def _verify(self, scope: Scope, body: bytes, headers: dict[str, str]
                ) -> tuple[SignedRequest, bytes]:
        """The verified request and the key that signed it: each of the terminal's
        valid keys is tried (two during a rotation's overlap)."""
        terminal = next((v for k, v in headers.items() if k.lower() == H_TERMINAL.lower()),
                        "")
        candidates = list(self.keys.keys_for(terminal)) if TERMINAL_RE.fullmatch(
            terminal) else []
        failure = SignatureError("bad_signature", "unknown terminal")
        for key in candidates:
            try:
                return verify_request({terminal: key}, scope["method"], scope["path"], body,
                                      headers, self.max_skew), key
            except SignatureError as exc:
                if exc.detail != "signature does not match":
                    raise
                failure = exc
        if not candidates:  # the header shapes are checked before the unknown terminal
            verify_request({}, scope["method"], scope["path"], body, headers, self.max_skew)
        raise failure


NOT_JSON = "the body is not a JSON document (UTF-8)"


def is_json(body: bytes) -> bool:
    """Whether ``body`` is one JSON document in UTF-8 (what every /v1 operation takes)."""
    try:
        json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True


def _query_token(scope: Scope) -> str:
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if key == "token":
            return value
    return ""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return ""


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None once it passes ``limit`` (the rest is not read)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body once, then the server's own receive (which waits for the
    client to go away)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def signed(request: Request) -> Signed:
    """Route dependency: the request the gate verified (never reached without it)."""
    ctx = request.scope.get("state", {}).get(SIGNED_STATE)
    if not isinstance(ctx, Signed):
        raise ApiProblem(s.ProblemCode.BAD_SIGNATURE, 401, "request not authenticated")
    return ctx


SignedDep = Annotated[Signed, Depends(signed)]
