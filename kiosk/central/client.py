"""The terminal's client for the central card service.

- One ``requests.Session`` (connection reuse), explicit ``(connect, read)`` timeouts,
  TLS verification on (``central.ca_bundle`` for a private CA).
- Every attempt is signed afresh (:mod:`kiosk.central.signing`: new timestamp and
  nonce), which is why retries are done here and not by urllib3's ``Retry`` — a resent
  identical request would be refused as a replay.
- Bounded retries with exponential back-off ONLY for operations that are safe to repeat
  (:data:`kiosk.central.schemas.IDEMPOTENT_OPERATIONS`): the lookups are POST (to keep
  personal data out of URLs) but only read; pre-loss and cancel carry an Idempotency-Key,
  so the service answers a repeat with its stored answer. Requesting a code (sends an
  SMS) and confirming one (spends a try) are never retried.
- One overall deadline per call (``central.deadline_seconds``: connect, send, the whole
  read, every retry), enforced by closing the connection (:mod:`kiosk.central.transport`);
  :meth:`CentralClient.cancel` closes it the same way. No redirects (a 3xx is a bad
  answer), reply bodies capped at ``central.max_reply_bytes``.
- Every reply must be signed by the service for this request's nonce
  (:func:`kiosk.central.signing.reply_is_authentic`); otherwise
  :class:`~kiosk.central.errors.CentralUnauthenticated`.
- Failures become the :mod:`kiosk.central.errors` tree; paths carry no personal data and
  logs record only the operation, status, attempt and time.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from pydantic import BaseModel

from kiosk import __version__, metrics
from kiosk.central import schemas as s
from kiosk.central import schemas_essc as se
from kiosk.central import schemas_fleet as fleet
from kiosk.central import schemas_help as sh
from kiosk.central.error_tables import error_for_status, map_requests_error
from kiosk.central.errors import (
    CentralError,
    CentralOffline,
    CentralRevoked,
    CentralServerError,
    CentralTimeout,
)
from kiosk.central.outbound import OutboundRequest
from kiosk.central.replies import check_unsigned, decode_reply
from kiosk.central.request_build import (
    QUEUEABLE,
    build_request,
    chip_facts,
    id_card_facts,
    local_refusal,
    outbound_request,
    printed_id_number,
    validated,
)
from kiosk.central.signing import H_NONCE, H_REPLY_SIGNATURE, reply_is_authentic, sign_request
from kiosk.central.transport import AbortableAdapter, Flight, read_capped
from kiosk.config import ConfigError, Settings
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.logs import get_logger
from kiosk.secrets import Secrets

log = get_logger("kiosk.central.client")
M = TypeVar("M", bound=BaseModel)
AnyPath = s.Path | se.EsscPath | fleet.FleetPath | sh.HelpPath  # every operation of /v1

RETRY_STATUSES = frozenset({500, 502, 503, 504})
BACKOFF_BASE = 0.2
BACKOFF_CAP = 2.0


def new_idempotency_key() -> str:
    """A fresh idempotency key for one confirmed state change."""
    return uuid.uuid4().hex


#: Each operation's answer (response model), from the contract's tables.
ANSWERS: dict[AnyPath, type[BaseModel]] = {}
for _table in (s.OPERATIONS, se.ESSC_OPERATIONS, sh.HELP_OPERATIONS):
    ANSWERS.update({path: answer for path, (_, answer) in _table.items()})


class CentralClient:
    """Typed calls to the ``/v1`` API; raises :class:`~kiosk.central.errors.CentralError`."""

    def __init__(self, settings: Settings, secrets: Secrets,
                 session: requests.Session | None = None, *,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 on_revocation: Callable[[bool], None] | None = None) -> None:
        c = settings.central
        url = urlsplit(c.base_url)
        if url.scheme != "https" and not settings.kiosk.demo and not _loopback(url.hostname):
            # Signing protects integrity, not confidentiality: personal data needs TLS.
            raise ConfigError("settings", "central.base_url",
                              "must use https:// outside demo mode (plain HTTP only on "
                              "127.0.0.1)")
        self._base = c.base_url.rstrip("/")
        self._base_path = urlsplit(self._base).path.rstrip("/")
        self._timeout = (c.connect_timeout, c.read_timeout)
        self._retries = c.retries
        self._deadline = c.deadline_seconds
        self._max_bytes = c.max_reply_bytes
        self._outbox_expiry = c.outbox_terminal_expiry_hours * 3600.0
        self._flights: set[Flight] = set()
        self._flights_lock = threading.Lock()
        self._terminal = settings.kiosk.terminal_id
        self._key = secrets.terminal_key
        self._clock, self._sleep = clock, sleep
        # Told True when the centre answers that this terminal's key is revoked, and
        # False at the first authentic success after that (given by the composition
        # root; called on the calling thread, so it must only hand over).
        self.on_revocation = on_revocation
        self._revoked = False
        self._session = session or requests.Session()
        self._session.verify = settings.path(c.ca_bundle).as_posix() if c.ca_bundle else True
        self._session.trust_env = False  # no surprise proxies from the environment
        adapter = AbortableAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"User-Agent": f"kiosk/{__version__}",
                                      "Accept": "application/json, "
                                                + s.PROBLEM_CONTENT_TYPE,
                                      "Accept-Encoding": "identity"})

    @property
    def base_url(self) -> str:
        return self._base

    @property
    def terminal_key(self) -> bytes:
        """The terminal secret (the outbox derives its sealing key from it)."""
        return self._key

    @property
    def deadline_seconds(self) -> float:
        """The overall limit of one call, every retry included."""
        return self._deadline

    @property
    def outbox_terminal_expiry_seconds(self) -> float:
        """How long a queued item refused for a terminal problem is kept."""
        return self._outbox_expiry

    # ---- operations ---------------------------------------------------------------------

    def lookup_by_id_card(self, card: IdCardData) -> s.PersonCards:
        """The person whose ID card this is (its chip's facts) and their cards: masked
        numbers and handles (``CentralNotFound`` for an unknown person or another card)."""
        return self._call(s.Path.LOOKUP,
                          build_request(s.LookupRequest, id_card=id_card_facts(card)),
                          s.PersonCards)

    def lookup_by_ssc(self, card: SscCardData) -> s.PersonCards:
        """The holder of this social security card (its chip) and all their cards;
        handles that read (status, progress), not pre-lose."""
        return self._call(s.Path.LOOKUP,
                          build_request(s.LookupRequest, card=chip_facts(card)),
                          s.PersonCards)

    def request_code(self, id_number: str) -> s.VerificationChallenge:
        """Have the service send a 6-digit code to the phone on record (not retried)."""
        return self._call(s.Path.VERIFY_REQUEST,
                          build_request(s.VerificationRequest,
                                        id_number=printed_id_number(id_number)),
                          s.VerificationChallenge)

    def confirm_code(self, challenge_id: str, code: str) -> s.PersonCards:
        """Confirm the code: the person's cards (masked, handles). ``CentralRefused``
        code_wrong (``tries_left``) / code_blocked."""
        return self._call(s.Path.VERIFY_CONFIRM,
                          build_request(s.VerificationConfirm, challenge_id=challenge_id,
                                        code=code),
                          s.PersonCards)

    def card_status(self, handle: str | None = None, *,
                    ssc: SscCardData | Mapping[str, object] | None = None) -> s.CardStatus:
        """A card's state: by a handle from a lookup, or by the card in the reader."""
        return self._call(s.Path.CARD_STATUS, build_request(
            s.CardStatusRequest, handle=handle, card=chip_facts(ssc) if ssc else None),
            s.CardStatus)

    def submit_pre_loss(self, handle: str, idempotency_key: str) -> s.PreLossResult:
        """Pre-lose the card ``handle`` stands for. Repeat with the same key to learn the
        outcome of an attempt that timed out; the service applies it once."""
        return self._send(self.pre_loss_request(handle), idempotency_key, s.PreLossResult)

    def pre_loss_request(self, handle: str) -> OutboundRequest:
        """The pre-loss request, made and checked here without sending it (what the
        outbox stores before the first byte goes out): the card's handle, no card or ID
        number (the service takes a pre-loss handle for days)."""
        return outbound_request("pre_loss", handle=handle, channel="kiosk",
                         terminal_id=self._terminal)

    def replacement_progress(self, handle: str | None = None, *,
                             ssc: SscCardData | Mapping[str, object] | None = None
                             ) -> s.Replacement:
        """Where the replacement is; ``CentralNotFound(code="no_replacement")`` if none."""
        return self._call(s.Path.REPLACEMENT_PROGRESS, build_request(
            s.ReplacementProgressRequest, handle=handle,
            card=chip_facts(ssc) if ssc else None), s.Replacement)

    def cancel_pre_loss(self, ssc: SscCardData | Mapping[str, object],
                        id_card: IdCardData | Mapping[str, object],
                        idempotency_key: str) -> s.CancelResult:
        """Cancel a pre-loss: the found card in the reader and the holder's ID card (their
        chips; as data, or as the facts a queued request kept);
        ``CentralRefused(code="replacement_exists")`` once a replacement was applied for."""
        return self._send(self.cancel_pre_loss_request(ssc, id_card), idempotency_key,
                          s.CancelResult)

    def cancel_pre_loss_request(self, ssc: SscCardData | Mapping[str, object],
                                id_card: IdCardData | Mapping[str, object]) -> OutboundRequest:
        """The cancel request, made and checked without sending it."""
        return outbound_request("cancel_pre_loss", card=chip_facts(ssc),
                         id_card=id_card_facts(id_card))

    def verify_essc(self, code: str) -> se.EsscIdentity:
        """Identify by a scanned e-SSC code: masked identity, cards with handles that may
        pre-lose; ``CentralRefused`` expired / already_used / not_an_essc / revoked. Never
        retried: the first verification spends the code. The code is not logged or kept."""
        return self._call(se.EsscPath.VERIFY, build_request(se.EsscVerifyRequest, code=code),
                          se.EsscIdentity)

    def send_request(self, request: OutboundRequest, idempotency_key: str) -> BaseModel:
        """Send a state change made by one of the ``*_request`` methods, or read back from
        the outbox. Only the kinds of :data:`QUEUEABLE`; the body is checked against the
        operation's request model again (a damaged row is ``validation_error``, unsent).
        The answer is the operation's response model."""
        entry = QUEUEABLE.get(request.kind)
        if entry is None:
            raise local_refusal("invalid: kind")
        return self._send(request, idempotency_key, ANSWERS[entry[0]])

    def _send(self, request: OutboundRequest, idempotency_key: str, answer: type[M]) -> M:
        entry = QUEUEABLE.get(request.kind)
        if entry is None:
            raise local_refusal("invalid: kind")
        path, model = entry
        return self._call(path, validated(model, request.body), answer,
                          idempotency_key=idempotency_key)

    def heartbeat(self, outbox_depth: int) -> s.HeartbeatResult:
        req = build_request(s.HeartbeatRequest, terminal_id=self._terminal,
                   clock=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
                   version=__version__, outbox_depth=outbox_depth)
        return self._call(s.Path.HEARTBEAT, req, s.HeartbeatResult)

    def fleet_heartbeat(self, report: fleet.FleetHeartbeat) -> fleet.FleetHeartbeatResult:
        """The fleet heartbeat with status; the answer carries the centre's directives
        (not retried: the next heartbeat comes anyway)."""
        return self._call(fleet.FleetPath.HEARTBEAT, report, fleet.FleetHeartbeatResult)

    def upload_bundle_chunk(self, chunk: fleet.BundleChunk) -> fleet.BundleChunkResult:
        """One part of a support bundle (a repeat of the same part is harmless)."""
        return self._call(fleet.FleetPath.BUNDLE, chunk, fleet.BundleChunkResult)

    def help_request(self, outlet: str, step: str, request_id: str,
                     at: dt.datetime | None = None) -> sh.HelpTicket:
        """Call staff to this terminal (no personal data: the outlet, the screen's step,
        the time). Retried: a repeat with the same ``request_id`` is the same call."""
        req = build_request(sh.HelpRequest, terminal_id=self._terminal, request_id=request_id,
                   outlet=outlet, step=step,
                   at=at or dt.datetime.fromtimestamp(self._clock(), dt.UTC))
        return self._call(sh.HelpPath.REQUEST, req, sh.HelpTicket)

    def help_status(self, request_id: str) -> sh.HelpTicket:
        """How this terminal's call ``request_id`` stands (waiting or acknowledged)."""
        req = build_request(sh.HelpStatusRequest, terminal_id=self._terminal, request_id=request_id)
        return self._call(sh.HelpPath.STATUS, req, sh.HelpTicket)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing -----------------------------------------------------------------------

    def cancel(self) -> None:
        """End every call of this client in flight now, by closing its connection.

        The worker blocked in the call returns at once with :class:`CentralTimeout`
        (``maybe_applied``: a state change may already have reached the service), and no
        pooled connection is left half-read. Calls started later are not affected."""
        with self._flights_lock:
            flights = list(self._flights)
        for flight in flights:
            flight.abort(cancelled=True)

    # ---- plumbing -----------------------------------------------------------------------

    def _call(self, path: AnyPath, request: BaseModel, response_model: type[M],
              idempotency_key: str | None = None) -> M:
        stateful = path in s.STATE_CHANGING_OPERATIONS
        if stateful and not (idempotency_key and 8 <= len(idempotency_key) <= 128):
            raise ValueError("a state change needs an idempotency key of 8 to 128 characters")
        if not issubclass(response_model, ANSWERS.get(path, response_model)):
            raise TypeError(f"{path.name}: the contract answers {ANSWERS[path].__name__}")
        body = request.model_dump_json(exclude_none=True).encode()
        # Keyed state changes are safe to repeat; the e-SSC verify spends its code: never.
        # A staff call is keyed by its request_id: a repeat is the same call.
        repeatable = path in s.IDEMPOTENT_OPERATIONS or path in sh.HELP_OPERATIONS or stateful
        attempts = 1 + (self._retries if repeatable else 0)
        # One deadline for the whole call: connect, send, the whole read, every retry.
        flight = Flight(time.monotonic() + self._deadline)
        with self._flights_lock:
            self._flights.add(flight)
        try:
            with flight:
                return self._attempts(path, body, idempotency_key, response_model, attempts,
                                      flight)
        finally:
            with self._flights_lock:
                self._flights.discard(flight)

    def _attempts(self, path: AnyPath, body: bytes, idempotency_key: str | None,
                  response_model: type[M], attempts: int, flight: Flight) -> M:
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                result = self._once(path, body, idempotency_key, response_model, flight)
            except CentralError as exc:
                if isinstance(exc, CentralRevoked):
                    self._revocation(True)
                elapsed = (time.perf_counter() - started) * 1000
                delay = self._backoff(attempt, exc)
                retry = (attempt < attempts and _retryable(exc) and not flight.aborted
                         and delay < flight.remaining())
                # The problem code and status only: the server's ``detail`` is free text
                # that may repeat what was sent (a name, a number).
                log.warning("central call failed", extra={"fields": {
                    "op": path.name.lower(), "error": exc.kind,
                    "problem": getattr(exc, "code", None), "status": getattr(exc, "status", None),
                    "attempt": attempt, "ms": round(elapsed, 1), "retry": retry}})
                if not retry:
                    raise
                if self._sleep is time.sleep:
                    flight.wait(delay)  # a cancel wakes it
                else:
                    self._sleep(delay)
                continue
            log.debug("central call", extra={"fields": {
                "op": path.name.lower(), "attempt": attempt,
                "ms": round((time.perf_counter() - started) * 1000, 1)}})
            if self._revoked:
                self._revocation(False)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _revocation(self, revoked: bool) -> None:
        self._revoked = revoked
        listener = self.on_revocation
        if listener is None:
            return
        try:
            listener(revoked)
        except Exception as exc:  # a listener must not turn an answer into a crash
            log.error("revocation listener failed", extra={"fields": {
                "error": type(exc).__name__}})

    def _backoff(self, attempt: int, exc: CentralError) -> float:
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
        if exc.retry_after is not None:  # the service's Retry-After
            delay = min(BACKOFF_CAP, max(delay, exc.retry_after))
        return delay * (0.5 + random.random() / 2)  # jitter: terminals must not stampede

    def _once(self, path: AnyPath, body: bytes, idempotency_key: str | None,
              response_model: type[M], flight: Flight) -> M:
        remaining = flight.remaining()
        if flight.aborted or remaining <= 0:
            raise _ended(flight)
        full_path = self._base_path + path.value
        # The Idempotency-Key header is signed with the rest (sign_request adds it).
        signed = sign_request(self._key, self._terminal, "POST", full_path, body,
                              now=self._clock(), idempotency_key=idempotency_key or None)
        headers = {"Content-Type": "application/json", **signed}
        timeout = (min(self._timeout[0], remaining), min(self._timeout[1], remaining))
        started = time.perf_counter()
        resp: requests.Response | None = None
        try:
            # No redirects: one could carry the signed body and headers to another host.
            resp = self._session.post(self._base + path.value, data=body, headers=headers,
                                      timeout=timeout, stream=True, allow_redirects=False)
            status = resp.status_code
            if not 200 <= status < 300 and not 400 <= status < 600:
                raise error_for_status(status, None)  # 1xx/3xx: never followed
            content = read_capped(resp, self._max_bytes)
            if flight.aborted:
                # The deadline or a cancel shut the socket while the status line, the
                # headers or the body were coming: what was read is cut short, and an
                # answer cut short is a timeout, not an unsigned answer.
                raise _ended(flight)
            # Round trips that got an answer (any status); failed connects are errors.
            metrics.central_latency(time.perf_counter() - started)
        except CentralError:
            raise
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
                OSError) as exc:
            if flight.aborted:
                raise _ended(flight) from None
            raise map_requests_error(exc) from exc
        finally:
            flight.detach()  # first: the connection may go back to the pool below
            if resp is not None:
                resp.close()
        authentic = reply_is_authentic(self._key, signed[H_NONCE], status, content,
                                       resp.headers.get(H_REPLY_SIGNATURE))
        if not authentic:
            check_unsigned(status, content)
        try:
            return decode_reply(status, resp.headers, content, response_model)
        except CentralError as exc:
            # Only a refusal signed by the service may settle anything (the outbox
            # deletes nothing on the word of an unsigned 401).
            exc.authenticated = authentic
            raise


def _ended(flight: Flight) -> CentralTimeout:
    return CentralTimeout("cancelled" if flight.cancelled else "deadline passed")


def _loopback(host: str | None) -> bool:
    if host in ("localhost", None):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retryable(exc: CentralError) -> bool:
    if isinstance(exc, (CentralOffline, CentralTimeout)):
        return True
    if isinstance(exc, CentralServerError):
        return exc.status is None or exc.status in RETRY_STATUSES
    return False  # refusals, not-found and garbage will not improve by asking again
