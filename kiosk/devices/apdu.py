"""ISO 7816-4 plumbing shared by the card profiles: the ``transmit`` callable type and
the two status-word dances cards do (``61xx`` → GET RESPONSE, ``6Cxx`` → resend with
the right Le). Profiles are written against :data:`Transmit` only, so they run the same
over pcscd, over a virtual card in-process, or against a recorded APDU script.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.devices.pcsc.errors import CardError, CardErrorKind, error_for_status_word

Transmit = Callable[[bytes], tuple[bytes, int]]
SW_OK = 0x9000
MAX_GET_RESPONSE = 16  # a card that keeps saying 61xx is lying, not slow


def with_le(apdu: bytes, le: int) -> bytes:
    """``apdu`` with its Le replaced (case 2: header + Le) or appended (case 1/3)."""
    if len(apdu) == 5:  # header + Le
        return apdu[:4] + bytes([le & 0xFF])
    if len(apdu) > 5 and len(apdu) == 5 + apdu[4] + 1:  # case 4: header Lc data Le
        return apdu[:-1] + bytes([le & 0xFF])
    if len(apdu) > 5 and len(apdu) == 5 + apdu[4]:  # case 3: header Lc data
        return apdu + bytes([le & 0xFF])
    return apdu[:4] + bytes([le & 0xFF])  # case 1: header only


def command(transmit: Transmit, apdu: bytes, *, fetch: bool = True) -> tuple[bytes, int]:
    """Send ``apdu`` and normalise the answer to (data, sw).

    ``6Cxx``: resend once with Le = xx. ``61xx``: with ``fetch`` send GET RESPONSE until
    the card is done and return all the data with ``9000``; without ``fetch`` the data
    is not wanted (e.g. the FCI of a SELECT) and ``61xx`` counts as ``9000`` — one APDU
    saved per read.
    """
    data, sw = transmit(apdu)
    if sw >> 8 == 0x6C:
        data, sw = transmit(with_le(apdu, sw & 0xFF))
    if sw >> 8 == 0x61:
        if not fetch:
            return data, SW_OK
        out = bytearray(data)
        for _ in range(MAX_GET_RESPONSE):
            more, sw = transmit(bytes([apdu[0] & 0x03, 0xC0, 0x00, 0x00, sw & 0xFF]))
            out += more
            if sw >> 8 != 0x61:
                break
        else:
            raise CardError(CardErrorKind.unsupported_card, "endless GET RESPONSE")
        return bytes(out), sw
    return data, sw


def expect_ok(transmit: Transmit, apdu: bytes, what: str, *,
              fetch: bool = True) -> bytes:
    """Like :func:`command` but raise the mapped :class:`CardError` unless ``9000``."""
    data, sw = command(transmit, apdu, fetch=fetch)
    if sw != SW_OK:
        raise error_for_status_word(sw, what)
    return data
