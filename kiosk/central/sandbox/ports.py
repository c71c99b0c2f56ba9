"""What the shared ``/v1`` layer (routes, gate, e-SSC and fleet routes) needs from below.

The front-end service (前置服务) that terminals call has two sides, and the service's
code sees each only through these interfaces:

- :class:`CoreCardSystem` — the province's core card management system: people and
  their cards, card status, pre-loss, cancel, replacement progress, the phone a code
  goes to, and the e-SSC platform's one-time codes. The sandbox's rules are the
  simulated core (:class:`kiosk.central.sandbox.core.SimulatedCore`); a province plugs
  its own adapter in here (docs/centre.md).
- :class:`TerminalRegister` and :class:`FleetRegister` — the front-end's own state about
  terminals: nonces, idempotency records, SMS challenges, e-SSC grants, heartbeats,
  the fleet register, directives and acks, bundles. The sandbox keeps them in SQLite,
  the centre (``kiosk.centre``) in PostgreSQL, with the same code over
  :class:`kiosk.central.sandbox.db.Database`.
- :class:`Limiter` (rate limits) and :class:`TerminalKeys` (who may sign).

A :class:`Backend` bundles them for :func:`kiosk.central.sandbox.app.create_app` and
:class:`kiosk.central.sandbox.gate.Gate`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.central import schemas_fleet as f
from kiosk.central.sandbox.db import Database
from kiosk.central.sandbox.limits import Limit
from kiosk.central.sandbox.watch import LookupWatch

#: A JSON object the service answers (a contract model's fields; the route validates it).
Answer = dict[str, object]
#: A route's documented answers by status (FastAPI's ``responses=``).
Responses = dict[int | str, dict[str, object]]


@dataclass(frozen=True)
class Contact:
    """Where a verification code goes: the person (opaque ref) and their phone on record."""

    person_ref: str
    phone: str


class CoreCardSystem(Protocol):
    """The core card system as the front-end service uses it. Refusals are raised as
    :class:`kiosk.central.sandbox.store_util.ApiProblem` with the contract's codes.

    State changes get the terminal's idempotency key: a real core must apply a key once
    (or the adapter must make it so), because the front-end may call again with the same
    key after a crash between the core's answer and its own record of it.
    """

    def lookup(self, id_number: str | None = None,
               card_number: str | None = None) -> Answer:
        """The person's cards (``PersonCards``, full name; the route masks it)."""
        ...

    def person_cards(self, person_ref: str) -> Answer:
        """As :meth:`lookup`, by the opaque person reference."""
        ...

    def id_card_genuine(self, id_number: str, valid_from: dt.date,
                        valid_to: dt.date | None, authority: str) -> bool:
        """Whether these facts, read from an ID card's chip, are the person's current ID
        card (the identity check the core relays): the proof a typed number lacks."""
        ...

    def card_chip_genuine(self, card_number: str, chip_id: str) -> bool:
        """Whether the card with this number carries this chip identification code."""
        ...

    def card_status(self, card_number: str) -> Answer:
        """``CardStatus``."""
        ...

    def replacement_progress(self, card_number: str | None = None,
                             id_number: str | None = None) -> Answer:
        """``Replacement``."""
        ...

    def pre_loss(self, card_number: str, id_number: str | None, terminal_id: str,
                 channel: str = "kiosk", idempotency_key: str | None = None, *,
                 person_ref: str | None = None) -> Answer:
        """``PreLossResult`` (with the full card number; the route masks it); the holder
        by ID number, by ``person_ref``, or neither: the front-end identified the holder
        (a card handle from an identification)."""
        ...

    def cancel_pre_loss(self, card_number: str, id_number: str,
                        idempotency_key: str | None = None) -> Answer:
        """``CancelResult``."""
        ...

    def contact(self, id_number: str) -> Contact:
        """Where a code for this person goes (``not_found`` if unknown)."""
        ...

    def send_code(self, contact: Contact, code: str) -> None:
        """Send the verification code by SMS (the simulated core records it)."""
        ...

    def essc_identify(self, code: str, terminal_id: str) -> str:
        """Spend an e-SSC one-time code at the e-SSC platform: the person's ref, or
        :class:`kiosk.central.sandbox.store_util.EsscRefused`."""
        ...


class TerminalRegister(Protocol):
    """The front-end's per-request state (see the module doc)."""

    def remember_nonce(self, terminal_id: str, nonce: str, window: float) -> None:
        """Record a nonce; ``replayed`` (401) if it was seen within the window."""
        ...

    def idempotent(self, terminal_id: str, key: str, operation: str, body: bytes,
                   action: Callable[[], Answer]) -> tuple[int, Answer, bool]:
        """Run ``action`` once per (terminal, key): ``(status, body, replayed)``."""
        ...

    def new_challenge(self, contact: Contact, terminal_id: str) -> Answer:
        """A new SMS challenge (one live per person, a resend cooldown): its id, the
        code to send and the timings."""
        ...

    def spend_challenge(self, challenge_id: str, code: str, terminal_id: str) -> str:
        """Check a code against its challenge (one try spent); the person's ref."""
        ...

    def handle_key(self) -> bytes:
        """The service's secret for card handles (made once, kept; the same for every
        worker of the service): see :mod:`kiosk.central.sandbox.handles`."""
        ...

    def heartbeat(self, terminal_id: str, clock: dt.datetime, version: str,
                  outbox_depth: int, max_skew: float) -> Answer:
        """Record the plain ``/v1/terminals/heartbeat``."""
        ...

    def help_request(self, terminal_id: str, request_id: str, outlet: str, step: str,
                     terminal_at: dt.datetime) -> Answer:
        """Record a staff call (``HelpTicket``); the same ``request_id`` again answers
        the same ticket, another terminal's is ``not_allowed``."""
        ...

    def help_status(self, terminal_id: str, request_id: str) -> Answer:
        """One of this terminal's calls (``HelpTicket``; another's is ``not_found``)."""
        ...

    def help_acknowledge(self, request_id: str, by: str, outlet: str | None = None
                         ) -> Answer:
        """Staff are on their way (``by``: ``staff_page`` or ``fleet_cli``)."""
        ...

    def help_oldest_waiting(self, terminal_id: str) -> str | None:
        """The terminal's oldest unanswered call, if any."""
        ...

    def help_calls(self, outlet: str | None = None, limit: int = 100) -> list[Answer]:
        """Calls, unanswered first (the fleet page, the staff page, ``kiosk fleet``)."""
        ...


class FleetRegister(Protocol):
    """The terminal register of the fleet: status, directives, bundles."""

    def heartbeat(self, hb: f.FleetHeartbeat, server_time: dt.datetime) -> list[Answer]:
        """Record a fleet heartbeat and its acks; the directives still pending."""
        ...

    def bundle_chunk(self, terminal_id: str, chunk: f.BundleChunk) -> Answer:
        """Store one chunk of a support bundle."""
        ...

    def add_directive(self, terminal_id: str, kind: str, **fields: object) -> Answer:
        """Queue a directive for a known terminal."""
        ...

    def terminals(self) -> list[Answer]:
        """The register, with each terminal's directives."""
        ...

    def bundles(self) -> list[Answer]:
        """Every bundle upload."""
        ...


class Limiter(Protocol):
    """A token bucket per key (see :mod:`kiosk.central.sandbox.limits`)."""

    def take(self, key: str) -> float:
        """0.0 when allowed, else the seconds until a token is there."""
        ...

    def clear(self) -> None:
        """Forget every bucket."""
        ...


class TerminalKeys(Protocol):
    """Who may sign: the keys a terminal may use now (two during a rotation's overlap,
    none once revoked or unknown)."""

    def keys_for(self, terminal_id: str) -> Sequence[bytes]:
        """The terminal's valid keys, newest first."""
        ...

    def revoked(self, terminal_id: str) -> bool:
        """Whether the centre revoked this terminal's key (a stolen or retired terminal).
        Its correctly signed calls are then answered 403 ``terminal_revoked``, signed with
        that key, and nothing else is served; others keep the one 401."""
        ...

    def revoke(self, terminal_id: str) -> None:
        """Revoke the terminal's key (an operator's act, on the admin side)."""
        ...

    def reinstate(self, terminal_id: str) -> None:
        """Take a revoked key back (the terminal was found, the key was not leaked)."""
        ...


class StaticKeys(dict[str, bytes]):
    """A terminal → key map held in memory (the sandbox: the demo terminal's key, and
    the terminals a test adds), with the revoked terminals (forgotten by a reset)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.revoked_ids: set[str] = set()

    def keys_for(self, terminal_id: str) -> Sequence[bytes]:
        """The one key, or none."""
        key = self.get(terminal_id)
        return [key] if key is not None else []

    def revoked(self, terminal_id: str) -> bool:
        """See :meth:`TerminalKeys.revoked`."""
        return terminal_id in self.revoked_ids

    def revoke(self, terminal_id: str) -> None:
        """See :meth:`TerminalKeys.revoke`."""
        self.revoked_ids.add(terminal_id)

    def reinstate(self, terminal_id: str) -> None:
        """See :meth:`TerminalKeys.reinstate`."""
        self.revoked_ids.discard(terminal_id)


class Backend(Protocol):
    """Everything below the ``/v1`` layer, for one service instance."""

    # Read-only here (properties), so that a backend holding a more specific store (the
    # sandbox's SqlRegister, the centre's fleet) meets the protocol.
    @property
    def core(self) -> CoreCardSystem: ...
    @property
    def register(self) -> TerminalRegister: ...
    @property
    def fleet(self) -> FleetRegister: ...
    @property
    def keys(self) -> TerminalKeys: ...
    @property
    def db(self) -> Database:
        """The database the stores share (its ``relaxed()`` marks what may skip the disk)."""
    @property
    def watch(self) -> LookupWatch:
        """Who asks about how many people (:class:`kiosk.central.sandbox.watch.LookupWatch`)."""
    #: called after an admin reset (the sandbox; in-memory state kept elsewhere)
    reset_hooks: list[Callable[[], None]]

    def now(self) -> dt.datetime:
        """Service time (UTC)."""
        ...

    def limiter(self, limit: Limit, name: str) -> Limiter:
        """A rate limiter for ``limit`` (``name`` tells the buckets apart)."""
        ...

    def handle_key(self) -> bytes:
        """The secret card handles are sealed with, the same for every worker
        (:mod:`kiosk.central.sandbox.handles`)."""
        ...
