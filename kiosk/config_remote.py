"""Which settings the centre may change by a config overlay, and within which bounds.

An allow-list, not a block-list. :data:`REMOTE` names every setting an overlay may set,
each with remote bounds that may be tighter than the local config's (kiosk/config/rules.py);
every other setting is in :data:`LOCAL_ONLY`, with the reason it never comes from afar:

- anything that names a program, a library, a path, a device, a host, a port, a URL, a key
  or an ATR is local only, forever;
- policy can only be tightened from afar: technician PIN tries at most 5 and never more
  than the local config's, a lock-out never shorter than the local one, central timeouts,
  retries and reply caps never above the local ones;
- a hotline from afar must be one the local config lists as official
  (``region.official_hotlines``; the local ``region.hotline`` is always allowed back);
- text for cardholders never comes from afar: where else to go is a catalog key
  (``fleet.alternative``, kiosk/domain/alternatives.py), the site's own words are local.

``tests/test_config_remote.py`` walks every field of :class:`~kiosk.config.Settings` and
fails on one that is in neither list, so a new setting cannot become remotely writable by
accident; a key in neither list is refused anyway.

:func:`check_remote` checks each key of an overlay, against the local settings when given
(a terminal, ``kiosk fleet check-overlay``), or only what holds on every terminal when not
(a centre, before it pushes). :func:`kiosk.fleet.overlay.check_overlay` adds the full
validation of the settings the overlay gives. Kivy-free, and importing neither the central
nor the fleet package, so a centre can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from kiosk.config import CHOICES, ConfigError, Settings, parse_setting, setting_types


class Why(StrEnum):
    """Why an overlay's key is refused (a code: it travels in the heartbeat's ack)."""

    LOCAL_ONLY = "local_only"
    UNKNOWN_KEY = "unknown_key"
    WRONG_TYPE = "wrong_type"
    OUT_OF_BOUNDS = "out_of_bounds"
    LOOSER_THAN_LOCAL = "looser_than_local"
    NOT_OFFICIAL_HOTLINE = "not_official_hotline"
    NOT_A_CATALOG_KEY = "not_a_catalog_key"
    INVALID_CONFIG = "invalid_config"


@dataclass(frozen=True)
class Refusal:
    """One refused key of an overlay: ``key`` (``section.key``, or a section), ``why``
    (a code) and ``message`` (plain words for the operator)."""

    key: str
    why: Why
    message: str

    def line(self) -> str:
        """``refused: <key>: <reason>``, as ``kiosk fleet check-overlay`` prints it."""
        return f"refused: {self.key}: {self.message}"


class Local(StrEnum):
    """How a remote value must stand to the local config's."""

    ANY = "any"
    AT_MOST = "at_most"    # may only be lowered: timeouts, retries, caps, PIN tries
    AT_LEAST = "at_least"  # may only be raised: the lock-out


@dataclass(frozen=True)
class Remote:
    """How the centre may set one setting: numbers within ``lo``..``hi`` and as
    ``local`` says against the local value; lists of at most ``max_items``; text of at
    most ``max_len`` characters (each list item too); ``hotline``: an official number;
    ``catalog``: one of the setting's choices, each a key into the kiosk's catalogs."""

    lo: float | None = None
    hi: float | None = None
    local: Local = Local.ANY
    max_items: int = 0
    max_len: int = 0
    hotline: bool = False
    catalog: bool = False

    def check(self, key: str, value: object, local: Settings | None) -> Refusal | None:
        """The refusal of ``value`` (already of the setting's type), or None."""
        if self.catalog:
            choices = CHOICES[tuple(key.split(".", 1))]  # type: ignore[index]
            if value not in choices:
                return Refusal(key, Why.NOT_A_CATALOG_KEY,
                               f"must be a catalog key ({', '.join(choices)}), got {value!r}")
        if self.hotline:
            return _check_hotline(key, value, local)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._check_number(key, value, local)
        items = value if isinstance(value, tuple) else (value,) if isinstance(value, str) \
            else ()
        if self.max_items and isinstance(value, tuple) and len(value) > self.max_items:
            return Refusal(key, Why.OUT_OF_BOUNDS,
                           f"at most {self.max_items} from the centre, got {len(value)}")
        if self.max_len and any(len(item) > self.max_len for item in items):
            return Refusal(key, Why.OUT_OF_BOUNDS,
                           f"at most {self.max_len} characters from the centre")
        return None

    def _check_number(self, key: str, value: float, local: Settings | None) -> Refusal | None:
        lo = -float("inf") if self.lo is None else self.lo
        hi = float("inf") if self.hi is None else self.hi
        if not lo <= value <= hi:
            span = (f"between {_n(lo)} and {_n(hi)}" if self.lo is not None
                    and self.hi is not None else f"at least {_n(lo)}" if self.lo is not None
                    else f"at most {_n(hi)}")
            return Refusal(key, Why.OUT_OF_BOUNDS,
                           f"must be {span} from the centre, got {_n(value)}")
        if local is None or self.local is Local.ANY:
            return None
        mine = local_value(local, key)
        if not isinstance(mine, (int, float)):
            raise TypeError(f"{key}: a tighten-only rule on a setting that is not a number")
        if self.local is Local.AT_MOST and value > mine:
            return Refusal(key, Why.LOOSER_THAN_LOCAL,
                           f"must not be above the local {_n(mine)} (the centre may only "
                           f"tighten it), got {_n(value)}")
        if self.local is Local.AT_LEAST and value < mine:
            return Refusal(key, Why.LOOSER_THAN_LOCAL,
                           f"must not be below the local {_n(mine)} (the centre may only "
                           f"tighten it), got {_n(value)}")
        return None


def _n(number: float) -> str:
    """A number as people write it: 262144, 0.5."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _check_hotline(key: str, value: object, local: Settings | None) -> Refusal | None:
    if not (isinstance(value, str) and value.isascii() and value.isdigit()
            and 3 <= len(value) <= 12):
        return Refusal(key, Why.NOT_OFFICIAL_HOTLINE, f"not a hotline number: {value!r}")
    if local is None:
        return None  # only the terminal's local config knows its official numbers
    official = official_hotlines(local)
    if value not in official:
        return Refusal(key, Why.NOT_OFFICIAL_HOTLINE,
                       f"{value} is not an official hotline of this terminal "
                       f"(region.official_hotlines: {', '.join(official)})")
    return None


def official_hotlines(local: Settings) -> tuple[str, ...]:
    """The numbers an overlay may make the hotline: the local config's official list and
    its own hotline."""
    numbers = list(local.region.official_hotlines)
    if local.region.hotline not in numbers:
        numbers.append(local.region.hotline)
    return tuple(numbers)


def local_value(local: Settings, key: str) -> object:
    """The value of ``section.key`` in ``local``."""
    section, name = key.split(".", 1)
    return getattr(getattr(local, section), name)


# What the centre may set, and how. Bounds are the remote ones; the local config's own
# ranges (kiosk/config/rules.py RANGES) and rules between keys still apply on top.
REMOTE: dict[str, Remote] = {
    # What cardholders see and read
    "kiosk.language": Remote(catalog=True),
    "display.large_text": Remote(),
    "display.high_contrast": Remote(),
    "display.opening_hours": Remote(max_items=14, max_len=80),
    "display.blank_seconds": Remote(0, 3600),
    "display.blank_seconds_closed": Remote(0, 3600),
    "region.hotline": Remote(hotline=True),
    "region.pre_loss_lapse_days": Remote(1, 30),
    "region.pre_loss_lapse_working_days": Remote(),
    "region.replacement_working_days": Remote(1, 60),
    "region.replacement_working_days_bank": Remote(1, 90),
    "region.replacement_fee_yuan": Remote(0, 200),
    "features.keypad_identify": Remote(),
    "features.cancel_pre_loss": Remote(),
    "features.mail_delivery": Remote(),
    "fleet.alternative": Remote(catalog=True),
    "speech.rate": Remote(100, 250),
    "speech.volume": Remote(60, 200),  # never so low a blind cardholder cannot hear it
    # The accessibility keypad's timing and the staff call's (docs/accessibility.md)
    "access.timeout_factor": Remote(2, 4),  # non-visual mode: at least doubled, always
    "access.rate_step": Remote(10, 50),
    "access.help_poll_seconds": Remote(1, 10),
    "access.help_answer_seconds": Remote(60, 600),
    # How long the screen waits (personal data stays on screen no longer than this)
    "session.inactivity_seconds": Remote(30, 180),
    "session.warning_seconds": Remote(10, 60),
    "session.card_wait_seconds": Remote(20, 120),
    "session.reader_grace_seconds": Remote(0, 10),
    # Central calls: tighter only
    "central.connect_timeout": Remote(lo=1, local=Local.AT_MOST),
    "central.read_timeout": Remote(lo=2, local=Local.AT_MOST),
    "central.deadline_seconds": Remote(lo=3, local=Local.AT_MOST),
    "central.retries": Remote(lo=0, local=Local.AT_MOST),
    "central.max_reply_bytes": Remote(lo=65_536, local=Local.AT_MOST),
    "central.max_clock_skew_seconds": Remote(lo=30, local=Local.AT_MOST),
    # Technician access: tighter only
    "diagnostics.max_pin_attempts": Remote(1, 5, Local.AT_MOST),
    "diagnostics.lockout_seconds": Remote(60, 86_400, Local.AT_LEAST),
    "diagnostics.idle_seconds": Remote(lo=30, local=Local.AT_MOST),
    # Monitoring thresholds
    "diagnostics.disk_warn_mb": Remote(0, 100_000),
    "diagnostics.disk_fail_mb": Remote(0, 100_000),
    "diagnostics.outbox_warn_age_seconds": Remote(60, 86_400),
    "diagnostics.check_timeout_seconds": Remote(2, 60),
    "fleet.heartbeat_seconds": Remote(30, 900),
}

# What never comes from afar, and why (the operator reads the reason).
_PROGRAM = "names a program the kiosk runs"
_LIBRARY = "names a library the kiosk loads"
_DEVICE = "names a device or reader"
_DRIVER = "chooses a device driver"
_PATH = "names a path"
LOCAL_ONLY: dict[str, str] = {
    "kiosk.site": "the kind of site, set at install",
    "kiosk.demo": "demo mode",
    "kiosk.data_dir": _PATH,
    "kiosk.log_dir": _PATH,
    "kiosk.terminal_id": "the terminal's identity",
    "kiosk.outlet": "the terminal's place: whose staff page its staff calls reach",
    "display.width": "the screen's hardware",
    "display.height": "the screen's hardware",
    "display.borderless": "the screen's hardware",
    "display.hide_cursor": "the screen's hardware",
    "cards.id_reader": _DRIVER,
    "cards.id_serial_port": _DEVICE,
    "cards.id_sdk_library": _LIBRARY,
    "cards.ssc_reader": _DEVICE,
    "cards.id_pcsc_reader": _DEVICE,
    "cards.qr_scanner": _DRIVER,
    "cards.qr_scanner_port": _DEVICE,
    "cards.qr_scanner_device": _DEVICE,
    "central.base_url": "names a URL",
    "central.ca_bundle": "names a path; whom the kiosk trusts",
    "central.outbox_terminal_expiry_hours": "when an undeliverable request raises its alert",
    "central.outbox_export_public_key": "a key: who can read the exported requests",
    "region.name": "text shown to cardholders",
    "region.official_hotlines": "the numbers an overlay's hotline is checked against",
    "region.timezone": "the terminal's place",
    "printer.kind": "chooses a printer driver; network dials a host",
    "printer.target": "names a path, device, host or port",
    "speech.enabled": "the voice cardholders may depend on",
    "speech.command": _PROGRAM,
    "speech.player": _PROGRAM,
    "access.keys": "the keypad's hardware: which physical key does what",
    "access.headphone_jack": _DRIVER,
    "access.headphone_device": _DEVICE,
    "access.headphone_player": _PROGRAM,
    "diagnostics.metrics_enabled": "opens a port",
    "diagnostics.metrics_port": "names a port",
    "diagnostics.technician_card_atrs": "names ATRs; which cards open technician mode",
    "fleet.enabled": "the fleet channel itself",
    "fleet.alternative_zh": "text shown to cardholders; the centre picks fleet.alternative",
    "fleet.alternative_en": "text shown to cardholders; the centre picks fleet.alternative",
    "security.secrets_file": _PATH,
    "security.reader_conf_dir": _PATH,
    "security.pcsc_driver_dir": _PATH,
}


def check_key(key: str, value: object, local: Settings | None = None) -> Refusal | None:
    """The refusal of one ``section.key = value`` from the centre, or None."""
    if key in LOCAL_ONLY:
        return Refusal(key, Why.LOCAL_ONLY, f"local only: {LOCAL_ONLY[key]}")
    rule = REMOTE.get(key)
    if rule is None:  # not a setting, or one nobody classified: refused either way
        known = key in setting_types()
        return Refusal(key, Why.LOCAL_ONLY if known else Why.UNKNOWN_KEY,
                       "local only: not on the allow-list" if known else "not a setting")
    try:
        parsed = parse_setting("overlay", key, value)
    except ConfigError as exc:
        return Refusal(key, Why.WRONG_TYPE, exc.message)
    return rule.check(key, parsed, local)


def check_remote(values: object, local: Settings | None = None) -> list[Refusal]:
    """Every refused key of the overlay ``values`` (``{section: {key: value}}``), in its
    order; empty when each key may come from the centre. With ``local`` (the terminal's
    local settings) also the checks against it: tighter only, official hotlines."""
    if not isinstance(values, Mapping):
        return [Refusal("-", Why.WRONG_TYPE, "expected [section] tables of keys")]
    refusals: list[Refusal] = []
    for section, table in values.items():
        if not isinstance(table, Mapping):
            refusals.append(Refusal(str(section), Why.WRONG_TYPE,
                                    "expected a [section] table of keys"))
            continue
        for key, value in table.items():
            refusal = check_key(f"{section}.{key}", value, local)
            if refusal is not None:
                refusals.append(refusal)
    return refusals
