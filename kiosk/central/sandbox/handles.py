"""Card handles: what a terminal holds instead of a card number.

A lookup (by an ID card's chip, an SMS code, an e-SSC, or a card's chip) answers each
card as a masked number and a **handle**: the card number, the identification it came
from (its *basis*), a lookup id and the time, sealed with AES-256-GCM under a key only
the service has, with the terminal id as associated data. So a handle is

- **opaque**: it reveals nothing, not even whether two handles are the same card (a
  fresh nonce each time, a fresh lookup id each lookup: no join key);
- **authentic**: only the service makes them (a forged or altered one fails to open);
- **bound to the terminal**: another terminal's handle does not open;
- **bound to the lookup and its basis**: a handle from a card's chip alone reads
  (status, progress) but does not pre-lose; no handle cancels;
- **short-lived**: reads take it for :data:`~kiosk.central.schemas.HANDLE_TTL_SECONDS`;
  a pre-loss for :data:`~kiosk.central.schemas.PRE_LOSS_HANDLE_SECONDS`, so that a
  pre-loss confirmed and queued while the network was down is still delivered days
  later (it is protective, and its handle was earned by an identification).

No state is kept per handle: the service needs only its key (one per service, kept by
the terminal register, the same for every worker of the centre). Refusals:
``handle_invalid`` (403: not made here, another terminal's, or not for this use) and
``handle_expired`` (410: identify again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from kiosk.central.sandbox.store_util import ApiProblem
from kiosk.central.schemas import HANDLE_TTL_SECONDS, PRE_LOSS_HANDLE_SECONDS, ProblemCode

VERSION = 1
_INFO = b"kiosk card handle v1"
_NONCE = 12
_HEAD = struct.Struct(">BIB6s")  # version, issued (unix s), basis, lookup id
#: how the person was identified → the basis byte in a handle
BASES = {"id_card": 1, "sms": 2, "essc": 3, "ssc_chip": 4}
#: identifications whose handles may pre-lose (a card's chip alone may not: a found card
#: is no proof of whose it is)
MAY_PRE_LOSE = frozenset({"id_card", "sms", "essc"})
CLOCK_SLACK = 60  # a handle "from the future" by more than this is not ours


@dataclass(frozen=True)
class Opened:
    """What a handle stands for."""

    card_number: str
    basis: str
    lookup_id: str
    issued_at: int

    def __repr__(self) -> str:  # the card number is personal data
        return f"Opened(basis={self.basis!r}, lookup_id={self.lookup_id!r})"


def new_lookup_id() -> bytes:
    """A fresh lookup id (6 random bytes; also the answer's ``person_ref``)."""
    return os.urandom(6)


def derive(service_key: bytes) -> bytes:
    """The handle key from the service's secret (HKDF-SHA256, one block)."""
    prk = hmac.new(b"\0" * 32, service_key, hashlib.sha256).digest()
    return hmac.new(prk, _INFO + b"\x01", hashlib.sha256).digest()


class Handles:
    """Seal and open card handles with one service key (see the module doc)."""

    def __init__(self, service_key: bytes) -> None:
        # lazy: cryptography loads with the first sandbox built, not with the schemas
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(derive(service_key))

    def seal(self, terminal_id: str, card_number: str, basis: str, lookup_id: bytes,
             now: float) -> str:
        """A handle for ``card_number``, for ``terminal_id`` only."""
        plain = _HEAD.pack(VERSION, int(now), BASES[basis], lookup_id) + \
            card_number.encode("ascii")
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plain, _aad(terminal_id))
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")

    def open(self, handle: str, terminal_id: str, now: float, *,
             pre_loss: bool = False) -> Opened:
        """What ``handle`` stands for, if this terminal may use it now for a read (or a
        pre-loss); else :class:`ApiProblem` ``handle_invalid`` / ``handle_expired``."""
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(handle + "=" * (-len(handle) % 4))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(terminal_id))
            version, issued, basis_byte, lookup = _HEAD.unpack_from(plain)
            card = plain[_HEAD.size:].decode("ascii")
        except (ValueError, InvalidTag, struct.error, UnicodeDecodeError):
            raise _invalid("handle not valid here") from None
        basis = next((name for name, b in BASES.items() if b == basis_byte), None)
        if version != VERSION or basis is None or not card:
            raise _invalid("handle not valid here")
        if pre_loss and basis not in MAY_PRE_LOSE:
            raise _invalid("this identification cannot pre-lose a card")
        age = now - issued
        if age < -CLOCK_SLACK:
            raise _invalid("handle not valid here")
        if age > (PRE_LOSS_HANDLE_SECONDS if pre_loss else HANDLE_TTL_SECONDS):
            raise ApiProblem(ProblemCode.HANDLE_EXPIRED, 410, "handle expired: identify again")
        return Opened(card, basis, lookup.hex(), issued)


def _aad(terminal_id: str) -> bytes:
    return b"kiosk-card-handle\n" + terminal_id.encode("utf-8")


def _invalid(detail: str) -> ApiProblem:
    return ApiProblem(ProblemCode.HANDLE_INVALID, 403, detail)
