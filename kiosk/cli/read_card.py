"""``kiosk read-card``: read whatever card is inserted and print it (masked by default).

Every failure is one line on stderr and a non-zero exit code, by kind:

    3 service_down   4 no_reader   5 no_card   6 card_removed   7 comm_failed
    8 unsupported_card or not_ssc   9 pin_wrong or pin_blocked
    (2 = configuration error, as for every command)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import time

from kiosk.cli.common import CliError, add_config_argument, positive_float, settings_from
from kiosk.config import Settings
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.slots import slot_for_reader
from kiosk.domain.masking import mask_card_number, mask_id_number, mask_name
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.i18n import catalog, translate

EXIT_CODES = {
    CardErrorKind.service_down: 3, CardErrorKind.no_reader: 4, CardErrorKind.no_card: 5,
    CardErrorKind.card_removed: 6, CardErrorKind.comm_failed: 7,
    CardErrorKind.unsupported_card: 8, CardErrorKind.not_ssc: 8, CardErrorKind.pin_wrong: 9,
    CardErrorKind.pin_blocked: 9,
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("read-card", help="read the inserted card(s) and print them",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--reveal", action="store_true",
                        help="show personal data unmasked (the holder asked for it)")
    parser.add_argument("--timeout", type=positive_float, default=0.0, metavar="S",
                        help="wait up to S seconds for a card (default: read now)")
    parser.add_argument("--slot", choices=("ssc", "id"), default=None,
                        help="read only this slot")
    add_config_argument(parser)
    parser.set_defaults(func=run)


@dataclasses.dataclass(frozen=True)
class CardRead:
    """One card read: its slot, the reader, what it holds, the APDUs and time it took."""

    slot: str
    reader: str
    data: SscCardData | IdCardData
    apdus: int
    ms: float


def _text(value: object) -> str | None:
    """A card field as JSON text: a date in ISO form, None (no expiry) kept."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value is None else str(value)


def masked(data: SscCardData | IdCardData, reveal: bool = False) -> dict[str, str | None]:
    """The card data as plain JSON-able values, personal fields masked unless ``reveal``."""
    out = {f.name: _text(getattr(data, f.name)) for f in dataclasses.fields(data)
           if f.name != "photo"}
    if isinstance(data, IdCardData) and out.get("valid_to") is None:
        out["valid_to"] = "长期"
    if reveal:
        return out
    for key in ("ssn", "id_number"):
        if (number := out.get(key)) is not None:
            out[key] = mask_id_number(number)
    if (name := out.get("name")) is not None:
        out["name"] = mask_name(name)
    if (card_number := out.get("card_number")) is not None:
        out["card_number"] = mask_card_number(card_number)
    if (address := out.get("address")) is not None:
        out["address"] = address[:3] + "*" * max(0, len(address) - 3)
    if out.get("birth_date"):
        out["birth_date"] = "****-**-**"
    if (code := out.get("card_id_code")) is not None:
        out["card_id_code"] = code[:16] + "*" * 16
    return out


def _read_pcsc(settings: Settings, timeout: float, only: str | None) -> list[CardRead]:
    # lazy: pyscard and the card profiles load only for this command
    from smartcard import scard

    from kiosk.devices import ssc as ssc_profile
    from kiosk.devices.idcard.pcsc_profile import read_id_text
    from kiosk.devices.pcsc.context import PcscContext

    ctx = PcscContext()
    try:
        slots = {r: slot for r in ctx.list_readers()
                 if (slot := slot_for_reader(settings, r)) and (only is None or slot == only)}
        readers = list(slots)
        if not readers:
            raise CardError(CardErrorKind.no_reader, "no card reader connected")
        states = ctx.get_status_change(0, [(r, scard.SCARD_STATE_UNAWARE) for r in readers])
        present = [s.name for s in states or [] if s.event_state & scard.SCARD_STATE_PRESENT]
        deadline = time.monotonic() + timeout
        while not present and time.monotonic() < deadline:
            current = [(s.name, s.event_state & ~scard.SCARD_STATE_CHANGED)
                       for s in states or []]
            left = max(1, int((deadline - time.monotonic()) * 1000))
            states = ctx.get_status_change(left, current) or states
            present = [s.name for s in states or [] if s.event_state & scard.SCARD_STATE_PRESENT]
        if not present:
            raise CardError(CardErrorKind.no_card, "no card inserted")
        results = []
        for reader in present:
            slot = slots[reader]
            t0 = time.perf_counter()
            with ctx.connect(reader) as session:
                data = (ssc_profile.read_ssc(session.transmit) if slot == "ssc"
                        else read_id_text(session.transmit))
                results.append(CardRead(slot, reader, data, session.apdu_count,
                                        round((time.perf_counter() - t0) * 1000, 1)))
        return results
    finally:
        ctx.release()


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    lang = settings.kiosk.language
    try:
        try:
            results = _read_pcsc(settings, args.timeout, args.slot)
        except CardError as exc:
            # No PC/SC card: a serial/SDK ID reader may still hold one.
            if (exc.kind not in (CardErrorKind.no_card, CardErrorKind.no_reader)
                    or args.slot == "ssc" or settings.cards.id_reader not in ("serial", "sdk")):
                raise
            from kiosk.devices.idcard import make_id_reader  # lazy: as above

            reader = make_id_reader(settings)
            try:
                t0 = time.perf_counter()
                data = reader.read()
                results = [CardRead("id", settings.cards.id_reader, data, 0,
                                    round((time.perf_counter() - t0) * 1000, 1))]
            finally:
                reader.close()
    except CardError as exc:
        # One reader asked for: its own gesture (lay the ID card, insert the SSC).
        key = f"cards.error_{args.slot}.{exc.kind}"
        key = key if args.slot and key in catalog(lang) else exc.i18n_key
        message = translate(key, lang, tries_left=exc.tries_left or 0)
        code = f", 0x{exc.raw_code:X}" if exc.raw_code is not None else ""
        raise CliError(f"read-card: {message} [{exc.kind}{code}]",
                       EXIT_CODES.get(exc.kind, 1)) from None
    shown = [{"slot": r.slot, "reader": r.reader, "data": masked(r.data, args.reveal),
              "apdus": r.apdus, "ms": r.ms} for r in results]
    if args.json:
        print(json.dumps(shown if len(shown) > 1 else shown[0], ensure_ascii=False, indent=2))
        return 0
    for r in results:
        print(f"[{r.slot}] {translate('cards.slot.' + r.slot, lang)} — {r.reader} "
              f"({r.apdus} APDUs, {r.ms} ms)")
        for key, value in masked(r.data, args.reveal).items():
            if key == "ethnicity":
                value = f"{value} {translate(f'cards.ethnicity.{value}', lang)}"
            elif key == "gender":
                value = translate(f"gender.{value}", lang)
            print(f"  {key:14} {value}")
    return 0
