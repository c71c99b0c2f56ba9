"""Social security card (社会保障卡) profile, written once over ``transmit``.

Byte layout implemented (contact chip, ISO/IEC 7816-4 APDUs)
===========================================================

Public sources: the MOHRSS card specification 《社会保障卡规范》 (versions 2.0/3.0) as
quoted by provincial reading interfaces, open-source SSC readers on GitHub (search for
the AID below: C, C#, Java and Python readers send exactly these APDUs), and
ISO/IEC 7816-4 for the status words. Summary kept in ``docs/cards.md``.

1. ``SELECT`` the social security application DDF1 by AID::

       00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF
                      "sx1.sh."           "社会保障" in GBK

   answer ``9000`` or ``61xx`` (FCI waiting; we do not need it, so no GET RESPONSE).
   ``6A82`` (or any other refusal) = no such application → another kind of card, e.g. a
   bank card (``not_ssc``).
2. ``SELECT`` EF05 ``00 A4 00 00 02 EF 05`` (if the card refuses P1=00, retry with
   P1=02 as some cards want), then ``READ RECORD`` by tag ``00 B2 <tag> 00 <Le>`` with
   Le = 2 + length; the answer is ``tag, length, value``. A card that does not pad a
   shorter value answers it with ``6282`` ("end of record reached before Ne bytes", an
   ISO 7816-4 warning): the record is complete, so it is read like ``9000``. A refused
   SELECT of EF05/EF06, or ``6981`` ("command incompatible with file structure": the
   files are not records), means the card is not in this layout (``not_ssc``):

   ====  ====  ===============================  ============================
   tag   len   field                            encoding
   ====  ====  ===============================  ============================
   01    16    card identification code         binary → 32 hex digits:
                                                region(6) + D156000005 + 16
   02    1     card type                        ASCII digit
   03    4     specification version            ASCII "2.00" / "3.00"
   04    12    issuing organisation             BCD, F-padded
   05    4     issue date                       BCD YYYYMMDD
   06    4     expiry date                      BCD YYYYMMDD
   07    9     card number                      ASCII, e.g. ``X00000019``
   ====  ====  ===============================  ============================

3. ``SELECT`` EF06 ``00 A4 00 00 02 EF 06``, then ``READ RECORD`` by tag:

   ====  ====  ===============================  ============================
   08    18    social security number           ASCII (= citizen ID number)
   09    30    name                             GBK (read as GB18030, its
                                                superset), 00/space padded
   4E    20    name extension                   GBK; read only when 09 is full
   0A    1     gender                           ASCII "1" male, "2" female
   0B    1     ethnicity                        BCD (GB 3304 code)
   0C    3     birthplace                       BCD (not read: not needed)
   0D    4     birth date                       BCD YYYYMMDD
   ====  ====  ===============================  ============================

Cost of one read: 15 APDUs (3 SELECT + 12 READ RECORD) — every field we return, with
exact Le so a well-behaved card never needs a ``6Cxx`` resend.

4. Holder PIN: ``SELECT`` DDF1, then ``VERIFY 00 20 00 00 03 <6 digits BCD>``:
   ``9000`` ok, ``63Cx`` wrong with x tries left (``63C0`` = now blocked),
   ``6300`` wrong with the tries left unknown (cards that keep no counter they tell),
   ``6983`` blocked.

Validation: the social security number must be a valid citizen ID number (check
character, birth date), agree with the birth date and gender records, the dates must be real and
in order, the card number plain alphanumerics, the identification code must carry
``D156000005``. A card that breaks any of this is treated as ``unsupported_card``.
"""

from __future__ import annotations

import datetime as dt
import re

from kiosk.devices.apdu import SW_OK, Transmit, command
from kiosk.devices.pcsc.errors import (
    SW_END_OF_RECORD,
    SW_VERIFY_FAILED,
    SW_WRONG_STRUCTURE,
    CardError,
    CardErrorKind,
    error_for_status_word,
)
from kiosk.domain.idnumber import InvalidIdNumber, parse_id_number
from kiosk.domain.models import SscCardData

SSC_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
SELECT_DDF1 = bytes.fromhex("00A404000F") + SSC_AID
EF05, EF06 = b"\xEF\x05", b"\xEF\x06"

# tag → (length, file)
EF05_RECORDS = {0x01: 16, 0x02: 1, 0x03: 4, 0x04: 12, 0x05: 4, 0x06: 4, 0x07: 9}
EF06_RECORDS = {0x08: 18, 0x09: 30, 0x0A: 1, 0x0B: 1, 0x0D: 4}
NAME_EXT_TAG, NAME_EXT_LEN = 0x4E, 20
APDUS_PER_READ = 3 + len(EF05_RECORDS) + len(EF06_RECORDS)

_CARD_NUMBER_RE = re.compile(r"^[A-Z0-9]{6,12}$")
_VERSION_RE = re.compile(r"^\d\.\d\d$")


def _unsupported(detail: str) -> CardError:
    return CardError(CardErrorKind.unsupported_card, detail)


def _not_ssc(detail: str, sw: int) -> CardError:
    return CardError(CardErrorKind.not_ssc, detail, raw_code=sw)


def select_application(transmit: Transmit) -> None:
    """Select DDF1; a card without it is not a social security card (``not_ssc``)."""
    data, sw = command(transmit, SELECT_DDF1, fetch=False)
    if sw != SW_OK:
        err = error_for_status_word(sw, "select social security application")
        if err.kind in (CardErrorKind.comm_failed, CardErrorKind.unsupported_card):
            # Any refusal of the application means: another kind of card.
            raise _not_ssc(err.detail, sw)
        raise err


def select_ef(transmit: Transmit, fid: bytes) -> None:
    data, sw = command(transmit, b"\x00\xA4\x00\x00\x02" + fid, fetch=False)
    if sw != SW_OK and sw in (0x6A86, 0x6A82, 0x6B00, 0x6A00):
        data, sw = command(transmit, b"\x00\xA4\x02\x00\x02" + fid, fetch=False)
    if sw != SW_OK:
        raise _not_ssc(f"select EF{fid.hex().upper()}", sw)


def read_record(transmit: Transmit, tag: int, length: int) -> bytes:
    """READ RECORD by tag; checks the answer is ``tag, len, value`` as announced.

    ``6282`` (the record ended before Le bytes) with a complete ``tag, len, value`` is a
    success; ``6981`` (the file holds no records) means another layout (``not_ssc``)."""
    what = f"read record {tag:02X}"
    data, sw = command(transmit, bytes([0x00, 0xB2, tag, 0x00, (2 + length) & 0xFF]))
    if sw == SW_WRONG_STRUCTURE:
        raise _not_ssc(what, sw)
    if sw not in (SW_OK, SW_END_OF_RECORD) or (sw == SW_END_OF_RECORD and not data):
        raise error_for_status_word(sw, what)
    if len(data) < 2 or data[0] != tag or data[1] != len(data) - 2 or data[1] > length:
        raise _unsupported(f"record {tag:02X} malformed")
    return data[2:]


def _bcd(value: bytes) -> str:
    text = value.hex().upper().rstrip("F")
    if not text.isdigit() and text:
        raise _unsupported("bad BCD")
    return text


def _date(value: bytes, what: str) -> dt.date:
    text = _bcd(value)
    try:
        return dt.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _unsupported(f"{what} not a date") from None


def _ascii(value: bytes, what: str) -> str:
    try:
        return value.rstrip(b"\x00 ").decode("ascii").strip()
    except UnicodeDecodeError:
        raise _unsupported(f"{what} not text") from None


def _gbk(value: bytes, what: str) -> str:
    try:
        return value.rstrip(b"\x00 \xff").decode("gb18030").strip()
    except UnicodeDecodeError:
        raise _unsupported(f"{what} not GBK text") from None


def read_ssc(transmit: Transmit, today: dt.date | None = None) -> SscCardData:
    """Read and validate card and holder data (15 APDUs). Raises :class:`CardError`."""
    today = today or dt.date.today()
    select_application(transmit)
    select_ef(transmit, EF05)
    ef05 = {tag: read_record(transmit, tag, n) for tag, n in EF05_RECORDS.items()}
    select_ef(transmit, EF06)
    ef06 = {tag: read_record(transmit, tag, n) for tag, n in EF06_RECORDS.items()}
    name = _gbk(ef06[0x09], "name")
    if len(ef06[0x09]) == 30 and not ef06[0x09].endswith((b"\x00", b" ")):
        # Name fills the field: the rest is in the extension record (rare, long names).
        name += _gbk(read_record(transmit, NAME_EXT_TAG, NAME_EXT_LEN), "name extension")
    return _validate(ef05, ef06, name, today)


def _validate(ef05: dict[int, bytes], ef06: dict[int, bytes], name: str,
              today: dt.date) -> SscCardData:
    id_code = ef05[0x01].hex().upper()
    if len(id_code) != 32 or id_code[6:16] != "D156000005" or not id_code[:6].isdigit():
        raise _unsupported("identification code")
    version = _ascii(ef05[0x03], "spec version")
    if not _VERSION_RE.match(version):
        raise _unsupported("spec version")
    card_number = _ascii(ef05[0x07], "card number")
    if not _CARD_NUMBER_RE.match(card_number):
        raise _unsupported("card number")
    issue = _date(ef05[0x05], "issue date")
    expiry = _date(ef05[0x06], "expiry date")
    if not (dt.date(1990, 1, 1) <= issue <= today + dt.timedelta(days=1) and issue < expiry):
        raise _unsupported("card dates")
    ssn = _ascii(ef06[0x08], "social security number")
    try:
        idn = parse_id_number(ssn, today)
    except InvalidIdNumber as exc:
        raise _unsupported(f"social security number ({exc.reason})") from None
    birth = _date(ef06[0x0D], "birth date") if _bcd(ef06[0x0D]) else None
    if birth is not None and birth != idn.birth_date:
        raise _unsupported("birth date disagrees with the social security number")
    gender = {"1": "male", "2": "female"}.get(_ascii(ef06[0x0A], "gender"), "unknown")
    if gender != "unknown" and gender != idn.gender:
        raise _unsupported("gender disagrees with the social security number")
    if not name:
        raise _unsupported("empty name")
    return SscCardData(
        card_id_code=id_code, card_type=_ascii(ef05[0x02], "card type"),
        spec_version=version, issuer_code=_bcd(ef05[0x04]), issue_date=issue,
        expiry_date=expiry, card_number=card_number, ssn=idn.value, name=name,
        gender=gender, ethnicity=_bcd(ef06[0x0B]).zfill(2), birth_date=birth)


class PinFormatError(ValueError):
    """The holder PIN is not exactly 6 ASCII digits; raised before any APDU is sent. Its
    ``kind`` (``pin_format``) is what the layers above map it by."""

    kind = "pin_format"


PIN_LENGTH = 6


def pin_apdu(pin: str) -> bytes:
    """VERIFY for a 6-digit PIN (BCD). Raises :class:`PinFormatError` for anything else
    (other lengths, non-ASCII digits such as full-width ones, non-strings)."""
    if not isinstance(pin, str) or len(pin) != PIN_LENGTH or not (
            pin.isascii() and pin.isdigit()):
        raise PinFormatError(f"the PIN is exactly {PIN_LENGTH} digits")
    return bytes.fromhex("0020000003" + pin)


def verify_pin(transmit: Transmit, pin: str) -> None:
    """Verify the holder PIN (selects DDF1 first). Raises CardError ``pin_wrong`` with
    ``tries_left`` (None: the card did not say, ``6300``), or ``pin_blocked``; returns
    None when the PIN is right."""
    apdu = pin_apdu(pin)
    select_application(transmit)
    data, sw = command(transmit, apdu)
    if sw == SW_VERIFY_FAILED:
        raise CardError(CardErrorKind.pin_wrong, "verify PIN", tries_left=None, raw_code=sw)
    if sw != SW_OK:
        raise error_for_status_word(sw, "verify PIN")
