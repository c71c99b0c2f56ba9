"""The ``/v1`` operations that take both sides of the service: the core card system
and the terminal register (one place, used by the routes and by store-level tests)."""

from __future__ import annotations

from kiosk.central.sandbox.ports import Answer, Backend


def request_code(backend: Backend, id_number: str, terminal_id: str) -> Answer:
    """A new challenge for the person's phone on record; the code goes by SMS through
    the core, never back to the terminal."""
    contact = backend.core.contact(id_number)
    answer = backend.register.new_challenge(contact, terminal_id)
    backend.core.send_code(contact, str(answer.pop("code")))
    return answer


def confirm_code(backend: Backend, challenge_id: str, code: str,
                 terminal_id: str) -> Answer:
    """Spend a try on the challenge; with the right code, the person's cards."""
    person_ref = backend.register.spend_challenge(challenge_id, code, terminal_id)
    return backend.core.person_cards(person_ref)


def essc_verify(backend: Backend, code: str, terminal_id: str) -> Answer:
    """Spend an e-SSC code at the platform: the person's cards, in full (the route shows
    the terminal masked numbers and handles; raises
    :class:`kiosk.central.sandbox.store_util.EsscRefused`)."""
    person_ref = backend.core.essc_identify(code, terminal_id)
    return backend.core.person_cards(person_ref)
