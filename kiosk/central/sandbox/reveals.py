"""What each operation reveals to the terminal that calls it (the contract's descriptions).

Written for a reviewer asking "what does a signed terminal learn from X alone?". Every
answer is signed for the request (``X-Kiosk-Reply-Signature``); every operation is rate
limited per terminal, those taking an ID number also per ID number, those naming a card
by its number (a chip's facts) also per card number.
"""

from __future__ import annotations

from kiosk.central.schemas import Path

_CARDS = (
    "each card as a **masked number** (display only: its last 4 characters), its state, "
    "bank function, issue date, whether it has a replacement, and an opaque **handle** "
    "(sealed for this terminal, different at every lookup, so two answers cannot be "
    "joined; reads take it for "
    "`handles_expire_in` seconds)")

REVEALS: dict[Path, str] = {
    Path.LOOKUP: (
        "By an **ID card**: the facts read from its chip (`id_number`, `valid_from`, "
        "`valid_to`, `authority`), which the service checks against the identity record "
        "(a typed number has none of them; a mismatch is 404 like an unknown person). By a "
        "**social security card**: its number and the identification code read from its "
        "chip (a number alone is 404). Reveals a **masked name** (`王**`), the masked phone, "
        "a `person_ref` naming this answer only, and " + _CARDS + ". `may_pre_lose`: true "
        "by an ID card; false by a card's chip (a found card proves nothing about whose "
        "it is). **Never** a card number, the full name, the ID number, address or phone. "
        "Rate limited per ID number or per card number; every person asked about counts "
        "for the terminal's distinct-people alert."),
    Path.VERIFY_REQUEST: (
        "Sends a 6-digit code to the phone on record and reveals only the masked phone, "
        "the challenge id, the code's lifetime and `resend_after_seconds` (or 404: no "
        "such person — which is why it is rate limited per ID number and counted for the "
        "distinct-people alert). One live code per person: a new one replaces the old; a "
        "second request inside the cooldown is 429 `resend_too_soon` with `Retry-After`. "
        "The challenge belongs to the terminal that asked."),
    Path.VERIFY_CONFIRM: (
        "With the right code, from the terminal that asked for it: what a lookup by an ID "
        "card reveals (masked name, masked card numbers, handles; `may_pre_lose`: true — "
        "the person proved they hold the phone on record). Never a full name or card "
        "number. Otherwise only `code_wrong` with `tries_left`, `code_blocked` or "
        "`code_expired`."),
    Path.CARD_STATUS: (
        "By a **handle** from this terminal's lookup (within its read lifetime) or by a "
        "card's chip: the card's state and dated state history (channels, no terminals), "
        "its replacement's stage and dates (masked numbers; the tracking number as for "
        "`/v1/replacements/progress`), and `lapses_on` when pre-lost. No name, ID number, "
        "phone or card number. By a card's chip, rate limited per card number."),
    Path.PRE_LOSS: (
        "Takes a **handle** from an identification that may pre-lose (an ID card's chip, "
        "an SMS code, an e-SSC; not a card's chip alone: `handle_invalid`), from this "
        "terminal, up to 7 days after its lookup (so that a pre-loss queued while the "
        "network was down is still delivered; then `handle_expired`). No ID or card "
        "number: neither alone nor together can pre-lose a card. Reveals the reference, "
        "the masked card number, the stop time, the lapse date and the hotline; a refusal "
        "names the card's state (`already_pre_lost`, `already_lost`, ...)."),
    Path.PRE_LOSS_CANCEL: (
        "Needs the found card's chip (number and identification code; its PIN was "
        "verified on the card) AND the holder's ID card's chip facts: no handle cancels. "
        "Reveals the reference, the masked card number, its new state and the time; a "
        "refusal names why (`replacement_exists`, ...)."),
    Path.REPLACEMENT_PROGRESS: (
        "By a **handle** (within its read lifetime) or by a card's chip, old or new: the "
        "replacement's masked new card number, stage, dates, collecting outlet, whether it "
        "is mailed and the tracking number — in full only to a caller who proved who they "
        "are (a handle from an ID card, an SMS code or an e-SSC); by a card's chip alone, "
        "its last 4 characters (a finder of the lost card must not follow the new one to "
        "the door). No name, ID number or phone. By a card's chip, rate limited per card "
        "number."),
    Path.HEARTBEAT: (
        "Reveals only the service's clock and whether the terminal's clock is accepted."),
}
