"""What a terminal may see of the core's answers (the route layer's side of the seam).

The core card system answers in full: card numbers, names, the holder. A terminal gets:

- a person's cards as **masked numbers and handles** (:mod:`kiosk.central.sandbox.handles`),
  a masked name, and a ``person_ref`` that names this answer only — never the core's
  person reference, which would let two answers be joined;
- a card's status, a replacement, a pre-loss or a cancellation with **masked** card
  numbers (the new card's too);

and a handle is opened back to the core's card number here, for this terminal only.
"""

from __future__ import annotations

import threading

from kiosk.central.sandbox.handles import MAY_PRE_LOSE, Handles, Opened, new_lookup_id
from kiosk.central.sandbox.ports import Answer, Backend
from kiosk.central.schemas import HANDLE_TTL_SECONDS
from kiosk.domain.masking import mask_card_number, mask_name


class Answers:
    """Shapes answers and opens handles with the service's handle key (read once)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._handles: Handles | None = None
        self._lock = threading.Lock()

    def handles(self) -> Handles:
        """The sealer (its key from the backend, on first use)."""
        with self._lock:
            if self._handles is None:
                self._handles = Handles(self.backend.handle_key())
            return self._handles

    def person(self, found: Answer, basis: str, terminal_id: str) -> Answer:
        """A person's cards as this terminal may see them (``basis``: how the person was
        identified: ``id_card``, ``sms``, ``essc`` or ``ssc_chip``)."""
        lookup = new_lookup_id()
        now = self.backend.now().timestamp()
        seal = self.handles().seal
        return {
            "person_ref": lookup.hex(),
            "name": mask_name(str(found.get("name", ""))),
            "phone_masked": found.get("phone_masked", ""),
            "cards": [{
                "handle": seal(terminal_id, str(c["card_number"]), basis, lookup, now),
                "card_number_masked": mask_card_number(str(c["card_number"])),
                "state": c["state"], "bank_function": c["bank_function"],
                "issued": c["issued"], "has_replacement": c["has_replacement"],
            } for c in _cards(found)],
            "handles_expire_in": HANDLE_TTL_SECONDS,
            "may_pre_lose": basis in MAY_PRE_LOSE,
        }

    def open(self, handle: str, terminal_id: str, *, pre_loss: bool = False) -> Opened:
        """The card ``handle`` stands for (``handle_invalid`` / ``handle_expired``)."""
        return self.handles().open(handle, terminal_id, self.backend.now().timestamp(),
                                   pre_loss=pre_loss)


def _cards(found: Answer) -> list[Answer]:
    """The cards of a core's ``PersonCards`` answer (a list of objects)."""
    cards = found.get("cards", [])
    assert isinstance(cards, list), "the core answers a list of cards"
    return [c for c in cards if isinstance(c, dict)]


def masked_replacement(repl: Answer | None, *, tracking: bool) -> Answer | None:
    """A replacement with its card numbers masked. The mail's tracking number only for a
    caller who proved who they are (``tracking``): with a lost card's chip alone, a
    finder could follow the new card to the door; else its last 4 characters."""
    if repl is None:
        return None
    out = {k: v for k, v in repl.items() if k not in ("card_number", "replaces")}
    out["card_number_masked"] = mask_card_number(str(repl["card_number"]))
    out["replaces_masked"] = mask_card_number(str(repl["replaces"])) \
        if repl.get("replaces") else None
    number = repl.get("tracking_number")
    if number and not tracking:
        out["tracking_number"] = "*" * max(0, len(str(number)) - 4) + str(number)[-4:]
    return out


def masked_status(status: Answer, *, tracking: bool) -> Answer:
    """A card's status with its number (and its replacement's) masked."""
    out = {k: v for k, v in status.items() if k != "card_number"}
    out["card_number_masked"] = mask_card_number(str(status["card_number"]))
    repl = status.get("replacement")
    out["replacement"] = masked_replacement(repl if isinstance(repl, dict) else None,
                                            tracking=tracking)
    return out


def masked_result(result: Answer) -> Answer:
    """A pre-loss or cancellation result with the card number masked."""
    out: Answer = {k: v for k, v in result.items() if k != "card_number"}
    if "card_number" in result:
        out["card_number_masked"] = mask_card_number(str(result["card_number"]))
    return out
