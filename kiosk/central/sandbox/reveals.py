"""What each operation reveals to the terminal that calls it (the contract's descriptions).

Written for a reviewer asking "what does a signed terminal learn from X alone?". Every
answer is signed for the request (``X-Kiosk-Reply-Signature``); every operation is rate
limited per terminal, and those taking an ID number also per ID number.
"""

from __future__ import annotations

from kiosk.central.schemas import Path

REVEALS: dict[Path, str] = {
    Path.LOOKUP: (
        "Reveals, by **ID number alone**: whether the person is known (404 otherwise), a "
        "**masked name** (family name and one character, e.g. `王**`), the masked phone "
        "(`138****1234`), an opaque `person_ref`, and each card's number, state, bank "
        "function, issue date and whether it has a replacement. By **card number** (read "
        "from the card itself, which prints the name): the same with the full name. Never "
        "the ID number, address or full phone number."),
    Path.VERIFY_REQUEST: (
        "Sends a 6-digit code to the phone on record and reveals only the masked phone, "
        "the challenge id, the code's lifetime and `resend_after_seconds`. One live code per "
        "person: a new one replaces the old; a second request inside the cooldown is 429 "
        "`resend_too_soon` with `Retry-After`. The challenge belongs to the terminal that "
        "asked."),
    Path.VERIFY_CONFIRM: (
        "With the right code, from the terminal that asked for it: the person's cards with "
        "the **full name** (the person proved they hold the phone). Otherwise only "
        "`code_wrong` with `tries_left`, `code_blocked` or `code_expired`."),
    Path.CARD_STATUS: (
        "By card number: the card's state and dated state history (channels, no "
        "terminals), its replacement's stage and dates, and `lapses_on` when pre-lost. No "
        "name, ID number or phone."),
    Path.PRE_LOSS: (
        "Needs card number AND the holder's ID number (a card alone cannot be pre-lost). "
        "Reveals the reference, the stop time, the lapse date and the hotline; a refusal "
        "names the card's state (`already_pre_lost`, `already_lost`, ...)."),
    Path.PRE_LOSS_CANCEL: (
        "Needs card number AND the holder's ID number. Reveals the reference, the card's "
        "new state and the time; a refusal names why (`replacement_exists`, ...)."),
    Path.REPLACEMENT_PROGRESS: (
        "By card number (old or new) or ID number: the replacement's new card number, "
        "stage, dates, collecting outlet, whether it is mailed and the tracking number. No "
        "name, ID number or phone."),
    Path.HEARTBEAT: (
        "Reveals only the service's clock and whether the terminal's clock is accepted."),
}
