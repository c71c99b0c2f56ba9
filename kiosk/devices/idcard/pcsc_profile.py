"""PC/SC profile for ID readers that expose the card's text block as a smart card.

Some certified ID readers (and the kiosk's virtual ID card in the second vpcd reader)
present the decoded resident ID card as an ISO 7816 card. The kiosk's profile, 2 APDUs:

1. ``SELECT`` by AID ``00 A4 04 00 09 F0 4B 49 4F 53 4B 49 44 01``
   (``F0`` = proprietary AID, then ``KIOSKID`` and version 01) → ``9000``
   (or ``61xx``; the FCI is not needed). ``6A82`` → not an ID text card.
2. ``READ BINARY 00 B0 00 00 00`` (Le 00 = 256) → the 256-byte text block of
   :mod:`kiosk.devices.idcard.text` + ``9000``. A reader that answers ``6Cxx`` gets the
   same command again with that Le (and a block of another length is refused).

The photo (1024 bytes, vendor-compressed) is not read: it is optional and cannot be
decoded without the licensed vendor library.
"""

from __future__ import annotations

import datetime as dt

from kiosk.devices.apdu import SW_OK, Transmit, command, expect_ok
from kiosk.devices.idcard.text import TEXT_LEN, parse_text_block
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.domain.models import IdCardData

ID_TEXT_AID = bytes.fromhex("F04B494F534B494401")
SELECT_ID_TEXT = bytes.fromhex("00A4040009") + ID_TEXT_AID
READ_TEXT = bytes.fromhex("00B0000000")
APDUS_PER_READ = 2


def read_id_text(transmit: Transmit, today: dt.date | None = None) -> IdCardData:
    """Read and validate the text block (2 APDUs). Raises :class:`CardError`."""
    _data, sw = command(transmit, SELECT_ID_TEXT, fetch=False)
    if sw != SW_OK:
        raise CardError(CardErrorKind.unsupported_card, "no ID text application",
                        raw_code=sw)
    block = expect_ok(transmit, READ_TEXT, "read ID text")
    if len(block) != TEXT_LEN:
        raise CardError(CardErrorKind.unsupported_card, f"text block of {len(block)} bytes")
    return parse_text_block(block, today=today)
