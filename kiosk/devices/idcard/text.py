"""The 256-byte text block of a resident ID card, shared by every ID reader adapter.

UTF-16LE, fixed fields (byte offsets), space padded (see ``docs/cards.md``)::

    name 0–30 · gender 30–32 · ethnicity 32–36 · birth date 36–52 · address 52–122
    ID number 122–158 · issuing authority 158–188 · valid from 188–204
    valid to 204–220 (a date, or 长期 = no expiry) · reserved 220–256

Gender codes GB/T 2261.1 (0 unknown, 1 male, 2 female, 9 unstated); ethnicity GB 3304
(01–56, 97 other, 98 foreign-born naturalised). :func:`parse_text_block` validates what
the card says and raises ``unsupported_card`` when it does not hold together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.domain.idnumber import InvalidIdNumber, parse_id_number
from kiosk.domain.models import IdCardData

TEXT_LEN = 256
FIELDS: dict[str, tuple[int, int]] = {
    "name": (0, 30), "gender": (30, 32), "ethnicity": (32, 36), "birth_date": (36, 52),
    "address": (52, 122), "id_number": (122, 158), "authority": (158, 188),
    "valid_from": (188, 204), "valid_to": (204, 220), "reserved": (220, 256),
}
GENDERS = {"0": "unknown", "1": "male", "2": "female", "9": "unstated"}
ETHNICITIES = {f"{n:02d}" for n in range(1, 57)} | {"97", "98"}
NO_EXPIRY = "长期"


def _unsupported(detail: str) -> CardError:
    return CardError(CardErrorKind.unsupported_card, f"ID text block: {detail}")


def _date(text: str, what: str) -> dt.date:
    if len(text) != 8 or not text.isdigit():
        raise _unsupported(f"{what} not a date")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise _unsupported(f"{what} not a date") from None


def parse_text_block(block: bytes, photo: bytes = b"",
                     today: dt.date | None = None) -> IdCardData:
    """Decode and validate the text block. Raises :class:`CardError` unsupported_card."""
    if len(block) != TEXT_LEN:
        raise _unsupported(f"{len(block)} bytes instead of {TEXT_LEN}")
    try:
        f = {k: block[a:b].decode("utf-16-le").strip(" \x00") for k, (a, b) in FIELDS.items()}
    except UnicodeDecodeError:
        raise _unsupported("not UTF-16 text") from None
    try:
        idn = parse_id_number(f["id_number"], today)
    except InvalidIdNumber as exc:
        raise _unsupported(f"ID number ({exc.reason})") from None
    birth = _date(f["birth_date"], "birth date")
    if birth != idn.birth_date:
        raise _unsupported("birth date disagrees with the ID number")
    if f["gender"] not in GENDERS:
        raise _unsupported("gender code")
    if f["ethnicity"] not in ETHNICITIES:
        raise _unsupported("ethnicity code")
    if GENDERS[f["gender"]] in ("male", "female") and GENDERS[f["gender"]] != idn.gender:
        raise _unsupported("gender disagrees with the ID number")
    valid_from = _date(f["valid_from"], "valid from")
    if valid_from < birth or valid_from > (today or dt.date.today()) + dt.timedelta(days=1):
        raise _unsupported("valid-from date impossible")
    valid_to = None if f["valid_to"] == NO_EXPIRY else _date(f["valid_to"], "valid to")
    if valid_to is not None and valid_to <= valid_from:
        raise _unsupported("validity dates out of order")
    if not f["name"] or not f["authority"]:
        raise _unsupported("empty name or authority")
    return IdCardData(
        name=f["name"], gender=GENDERS[f["gender"]], ethnicity=f["ethnicity"],
        birth_date=birth, address=f["address"], id_number=idn.value,
        authority=f["authority"], valid_from=valid_from, valid_to=valid_to, photo=photo)


def build_text_block(person: Mapping[str, object]) -> bytes:
    """The text block for a persona's ``id`` table (virtual cards and readers)."""
    values = dict(person)
    values["valid_to"] = values.get("valid_to") or NO_EXPIRY
    out = bytearray()
    for key, (a, b) in FIELDS.items():
        raw = str(values.get(key, "")).encode("utf-16-le")[: b - a]
        out += raw + " ".encode("utf-16-le") * ((b - a - len(raw)) // 2)
    return bytes(out)
