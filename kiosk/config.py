"""Typed, validated settings: config/kiosk.toml, then a site profile, then environment.

Order of precedence (later wins):
1. the base file (``config/kiosk.toml`` or ``--config PATH``),
2. the site profile ``config/sites/<kiosk.site>.toml`` next to the base file,
3. environment variables ``KIOSK__<SECTION>__<KEY>=value`` (value parsed as TOML,
   falling back to a plain string).

Anything malformed raises :class:`ConfigError`, whose ``str()`` is one line naming the
file and the key, so the CLI can print it and exit without a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import get_type_hints

from kiosk.domain.alternatives import Alternative
from kiosk.domain.clock import region_zone
from kiosk.domain.keypad import DEFAULT_KEYS, parse_key_map
from kiosk.domain.opening_hours import parse_opening_hours

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "kiosk.toml"
ENV_PREFIX = "KIOSK__"

# What one setting holds once parsed (the fields of the sections below).
SettingValue = bool | int | float | str | tuple[str, ...]


class ConfigError(Exception):
    """A configuration problem; ``str()`` is a single line for the user."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source, self.key, self.message = source, key, message
        super().__init__(f"config error in {source}: {key}: {message}")


@dataclass(frozen=True)
class KioskSection:
    site: str = "medical"
    language: str = "zh_CN"
    demo: bool = False
    data_dir: str = "var"
    log_dir: str = "var/log"
    terminal_id: str = "T-DEMO-0001"
    # The outlet (or hospital) this terminal stands in: whose staff page its staff calls
    # reach (lower-case letters, digits, "-" and "_").
    outlet: str = "demo"


@dataclass(frozen=True)
class DisplaySection:
    width: int = 1920
    height: int = 1080
    borderless: bool = True
    hide_cursor: bool = False
    # Screen blanking (X screensaver + DPMS, set with xset): 0 = never blank. Inside
    # opening_hours blank_seconds applies, outside blank_seconds_closed; no hours = always
    # open. Lines like "mon-fri 08:00-17:30" (kiosk/domain/opening_hours.py).
    blank_seconds: int = 0
    opening_hours: tuple[str, ...] = ()
    blank_seconds_closed: int = 60
    large_text: bool = False
    high_contrast: bool = False


@dataclass(frozen=True)
class SessionSection:
    inactivity_seconds: int = 60
    warning_seconds: int = 20
    card_wait_seconds: int = 45  # a "place/insert your card" screen waits this long at most
    # The card service down or a reader gone at a card step: said only if it lasts this
    # long (a pcscd restart takes about half a second; the red screen must not flash).
    reader_grace_seconds: float = 2.0


@dataclass(frozen=True)
class CardsSection:
    id_reader: str = "pcsc"
    id_serial_port: str = "/dev/ttyUSB0"
    id_sdk_library: str = "libsdtapi.so"
    ssc_reader: str = ""
    id_pcsc_reader: str = ""
    qr_scanner: str = "none"  # 2D scanner for the e-SSC: none, serial (USB-CDC), hid
    qr_scanner_port: str = ""  # serial: device path, or "virtual" (demo's pty scanner)
    qr_scanner_device: str = ""  # hid: /dev/input/event* path (by-id link preferred)


@dataclass(frozen=True)
class CentralSection:
    base_url: str = "http://127.0.0.1:8765"
    connect_timeout: float = 3.0
    read_timeout: float = 8.0
    retries: int = 2
    ca_bundle: str = ""
    max_clock_skew_seconds: int = 300
    deadline_seconds: float = 10.0
    max_reply_bytes: int = 262_144
    outbox_terminal_expiry_hours: float = 72.0
    # The outlet's X25519 public key (64 hex digits): undelivered requests a technician
    # exports are sealed to it (kiosk/central/outbox_export.py). "" = none (demo: a demo key).
    outbox_export_public_key: str = ""


@dataclass(frozen=True)
class RegionSection:
    name: str = "北京"
    hotline: str = "96102"
    # The numbers a config overlay from the centre may make the hotline (kiosk/config_remote.py):
    # a number from afar is never shown or printed unless the local config lists it here.
    official_hotlines: tuple[str, ...] = ("96102", "12333")
    pre_loss_lapse_days: int = 10
    pre_loss_lapse_working_days: bool = False
    replacement_working_days: int = 15
    replacement_working_days_bank: int = 35
    replacement_fee_yuan: int = 20
    timezone: str = "Asia/Shanghai"  # IANA zone of times and dates people read


@dataclass(frozen=True)
class FeaturesSection:
    keypad_identify: bool = True
    cancel_pre_loss: bool = False
    mail_delivery: bool = True


@dataclass(frozen=True)
class PrinterSection:
    kind: str = "none"
    target: str = ""


@dataclass(frozen=True)
class SpeechSection:
    enabled: bool = True
    command: str = "espeak-ng"
    player: str = ""  # command reading a WAV on stdin; "" = first of aplay, play, paplay
    rate: int = 150  # words per minute (espeak-ng -s)
    volume: int = 100  # espeak-ng amplitude (-a), 0-200


@dataclass(frozen=True)
class AccessSection:
    # The accessibility keypad ("KeyName=action"; kiosk/domain/keypad.py): the first key
    # pressed turns non-visual mode on (speech, focus ring, longer timeouts).
    keys: tuple[str, ...] = DEFAULT_KEYS
    timeout_factor: float = 2.0  # non-visual mode multiplies every timeout by this (>= 2)
    rate_step: int = 25  # words per minute per "slower"/"faster" key press
    # Headphone detection: auto (ALSA jack control, then evdev SW_HEADPHONE_INSERT), alsa,
    # evdev, none. headphone_device: the ALSA card (e.g. "0") or the evdev device path.
    headphone_jack: str = "auto"
    headphone_device: str = ""
    headphone_player: str = ""  # plays a WAV from stdin to the headphones; "" = speech.player
    help_poll_seconds: float = 2.0  # how often a waiting help request asks for its answer
    help_answer_seconds: int = 180  # no answer by then: say so, and give the hotline


@dataclass(frozen=True)
class DiagnosticsSection:
    idle_seconds: int = 120
    max_pin_attempts: int = 3
    lockout_seconds: int = 300
    metrics_enabled: bool = False
    metrics_port: int = 9464
    disk_warn_mb: int = 500
    disk_fail_mb: int = 50
    outbox_warn_age_seconds: int = 900
    check_timeout_seconds: int = 10
    # ATRs (hex) of technician cards: such a card on a reader at the attract screen opens
    # the technician PIN pad (the PIN is still required). Empty = no technician cards.
    technician_card_atrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class FleetSection:
    enabled: bool = True  # heartbeat with status to the central service, take directives
    heartbeat_seconds: int = 60
    # Shown on the out-of-service screen when paused: where else to go, as a catalog key
    # (kiosk/domain/alternatives.py): "site" = the site's own words below, "none", or one
    # of the catalog's sentences (fleet.alternatives.<key>, both languages).
    alternative: str = "site"
    # The site's own words for the nearest other place ("" = none). Local only: the
    # centre can choose "site", never send text.
    alternative_zh: str = ""
    alternative_en: str = ""


@dataclass(frozen=True)
class SecuritySection:
    secrets_file: str = "/etc/kiosk/secrets.toml"
    # Where production start-up looks for the vpcd driver (kiosk/production.py).
    reader_conf_dir: str = "/etc/reader.conf.d"
    pcsc_driver_dir: str = "/usr/lib/pcsc/drivers"


@dataclass(frozen=True)
class Settings:
    """All settings in effect. Paths are resolved against the repository root."""

    kiosk: KioskSection = field(default_factory=KioskSection)
    display: DisplaySection = field(default_factory=DisplaySection)
    session: SessionSection = field(default_factory=SessionSection)
    cards: CardsSection = field(default_factory=CardsSection)
    central: CentralSection = field(default_factory=CentralSection)
    region: RegionSection = field(default_factory=RegionSection)
    features: FeaturesSection = field(default_factory=FeaturesSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    speech: SpeechSection = field(default_factory=SpeechSection)
    access: AccessSection = field(default_factory=AccessSection)
    diagnostics: DiagnosticsSection = field(default_factory=DiagnosticsSection)
    fleet: FleetSection = field(default_factory=FleetSection)
    security: SecuritySection = field(default_factory=SecuritySection)
    sources: tuple[str, ...] = ()

    def path(self, value: str) -> Path:
        """Resolve a configured path: absolute stays, relative is under the repo root."""
        p = Path(value)
        return p if p.is_absolute() else REPO_ROOT / p

    @property
    def data_dir(self) -> Path:
        return self.path(self.kiosk.data_dir)

    @property
    def log_dir(self) -> Path:
        return self.path(self.kiosk.log_dir)

    def as_dict(self) -> dict[str, dict[str, SettingValue]]:
        """Settings as plain data (no secrets live here), for diagnostics and bundles."""
        out: dict[str, dict[str, SettingValue]] = {}
        for f in fields(self):
            sec: object = getattr(self, f.name)
            if is_dataclass(sec):
                out[f.name] = {sf.name: getattr(sec, sf.name) for sf in fields(sec)}
        return out


# Allowed values for the enumerated keys, and numeric ranges: checked once, here.
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("kiosk", "site"): ("outlet", "medical"),
    ("kiosk", "language"): ("zh_CN", "en"),
    ("cards", "id_reader"): ("pcsc", "serial", "sdk", "none"),
    ("cards", "qr_scanner"): ("none", "serial", "hid"),
    ("printer", "kind"): ("none", "dummy", "file", "usb", "serial", "network"),
    ("fleet", "alternative"): tuple(a.value for a in Alternative),
    ("access", "headphone_jack"): ("auto", "alsa", "evdev", "none"),
}
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("display", "width"): (320, 7680),
    ("display", "height"): (240, 4320),
    ("display", "blank_seconds"): (0, 86400),
    ("display", "blank_seconds_closed"): (0, 86400),
    ("session", "inactivity_seconds"): (10, 3600),
    ("session", "warning_seconds"): (5, 600),
    ("session", "card_wait_seconds"): (5, 3600),
    ("session", "reader_grace_seconds"): (0, 30),
    ("central", "connect_timeout"): (0.1, 60),
    ("central", "read_timeout"): (0.1, 120),
    ("central", "retries"): (0, 10),
    ("central", "max_clock_skew_seconds"): (1, 3600),
    ("central", "deadline_seconds"): (0.5, 120),
    ("central", "max_reply_bytes"): (1024, 16_777_216),
    ("central", "outbox_terminal_expiry_hours"): (1, 8760),
    ("region", "pre_loss_lapse_days"): (1, 365),
    ("region", "replacement_working_days"): (0, 365),
    ("region", "replacement_working_days_bank"): (0, 365),
    ("region", "replacement_fee_yuan"): (0, 10000),
    ("diagnostics", "idle_seconds"): (10, 3600),
    ("diagnostics", "max_pin_attempts"): (1, 20),
    ("diagnostics", "lockout_seconds"): (1, 86400),
    ("diagnostics", "metrics_port"): (1, 65535),
    ("diagnostics", "disk_warn_mb"): (0, 10_000_000),
    ("diagnostics", "disk_fail_mb"): (0, 10_000_000),
    ("diagnostics", "outbox_warn_age_seconds"): (1, 604_800),
    ("diagnostics", "check_timeout_seconds"): (1, 120),
    ("speech", "rate"): (80, 450),
    ("speech", "volume"): (0, 200),
    ("access", "timeout_factor"): (2, 10),
    ("access", "rate_step"): (5, 100),
    ("access", "help_poll_seconds"): (0.5, 60),
    ("access", "help_answer_seconds"): (30, 3600),
    ("fleet", "heartbeat_seconds"): (5, 3600),
}
# Lists of hex byte strings (ATRs): between min and max bytes each; stored normalised.
HEX_LISTS: dict[tuple[str, str], tuple[int, int]] = {
    ("diagnostics", "technician_card_atrs"): (2, 33),  # an ATR is at most 33 bytes
}


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # not UTF-8: not TOML
        raise ConfigError(str(path), "-", f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(str(path), "-", f"cannot be read ({exc.strerror})") from None


def _env_layer(environ: dict[str, str]) -> dict[str, dict[str, EnvValue]]:
    layer: dict[str, dict[str, EnvValue]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"environment {name}", name, "expected KIOSK__SECTION__KEY")
        layer.setdefault(parts[0], {})[parts[1]] = EnvValue(raw)
    return layer


@dataclass(frozen=True)
class EnvValue:
    """A raw environment string; parsed as TOML, or kept as text where text is expected."""

    raw: str

    def parse(self, want_text: bool) -> object:
        try:
            value: object = tomllib.loads(f"v = {self.raw}")["v"]
        except tomllib.TOMLDecodeError:
            return self.raw
        return self.raw if want_text and not isinstance(value, str) else value


def _coerce(source: str, dotted: str, typ: object, value: object) -> SettingValue:
    if isinstance(value, EnvValue):
        value = value.parse(want_text=typ is str)
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(source, dotted, f"expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(source, dotted, f"expected a whole number, got {value!r}")
    if typ is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(source, dotted, f"expected a number, got {value!r}")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ConfigError(source, dotted, f"expected text, got {value!r}")
    if typ == tuple[str, ...]:
        if isinstance(value, str) and source == "environment":
            # KIOSK__X__Y=a,b (not TOML) is a comma-separated list.
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(source, dotted, f"expected a list of text, got {value!r}")
    raise ConfigError(source, dotted, "unsupported type")  # pragma: no cover


def setting_types() -> dict[str, object]:
    """Every setting of :class:`Settings` as ``"section.key"`` → its type."""
    hints = get_type_hints(Settings)
    return {f"{name}.{key}": typ for name in hints if name != "sources"
            for key, typ in get_type_hints(hints[name]).items()}


def parse_setting(source: str, dotted: str, value: object) -> SettingValue:
    """``value`` as the setting ``dotted`` holds it; :class:`ConfigError` for a key that
    is not a setting or a value of the wrong type (the same rules as the files)."""
    typ = setting_types().get(dotted)
    if typ is None:
        raise ConfigError(source, dotted, "unknown key")
    return _coerce(source, dotted, typ, value)


def _merge(
    values: dict[str, dict[str, SettingValue]], origin: dict[str, str],
    layer: Mapping[str, object], source: str,
) -> None:
    hints = get_type_hints(Settings)
    for section, table in layer.items():
        if section not in hints or section == "sources":
            raise ConfigError(source, section, "unknown section")
        if not isinstance(table, dict):
            raise ConfigError(source, section, "expected a table of keys")
        sec_hints = get_type_hints(hints[section])
        for key, value in table.items():
            dotted = f"{section}.{key}"
            if key not in sec_hints:
                raise ConfigError(source, dotted, "unknown key")
            values.setdefault(section, {})[key] = _coerce(source, dotted, sec_hints[key], value)
            origin[dotted] = source


def _setting(settings: Settings, sec: str, key: str) -> object:
    """One setting by section and key name (the rule tables name them so)."""
    section: object = getattr(settings, sec)
    value: object = getattr(section, key)
    return value


def _validate(settings: Settings, origin: dict[str, str]) -> Settings:
    """The rules on the merged settings; answers them with hex lists normalised."""
    def src(dotted: str) -> str:
        return origin.get(dotted, "defaults")

    for (sec, key), allowed in CHOICES.items():
        v = _setting(settings, sec, key)
        if v not in allowed:
            raise ConfigError(src(f"{sec}.{key}"), f"{sec}.{key}",
                              f"must be one of {', '.join(allowed)}, got {v!r}")
    for (sec, key), (lo, hi) in RANGES.items():
        n = _setting(settings, sec, key)
        if isinstance(n, (int, float)) and not lo <= n <= hi:  # always a number: coerced
            raise ConfigError(src(f"{sec}.{key}"), f"{sec}.{key}",
                              f"must be between {lo:g} and {hi:g}, got {n}")
    for (sec, key), (lo, hi) in HEX_LISTS.items():
        items = _setting(settings, sec, key)
        if isinstance(items, tuple):
            clean = tuple(_hex_item(src(f"{sec}.{key}"), f"{sec}.{key}", str(v), lo, hi)
                          for v in items)
            section = replace(getattr(settings, sec), **{key: clean})
            settings = replace(settings, **{sec: section})
    # Contradictions between keys.
    if settings.kiosk.site == "medical" and settings.features.cancel_pre_loss:
        raise ConfigError(src("features.cancel_pre_loss"), "features.cancel_pre_loss",
                          "cancelling a pre-loss is for outlet sites only (kiosk.site = medical)")
    sess = settings.session
    if sess.warning_seconds >= sess.inactivity_seconds:
        raise ConfigError(src("session.warning_seconds"), "session.warning_seconds",
                          "must be shorter than session.inactivity_seconds")
    export_key = settings.central.outbox_export_public_key
    if export_key and not (len(export_key) == 64
                           and all(c in "0123456789abcdefABCDEF" for c in export_key)):
        raise ConfigError(src("central.outbox_export_public_key"),
                          "central.outbox_export_public_key",
                          "must be 64 hex digits (an X25519 public key from "
                          "kiosk outbox keygen), or empty")
    url = settings.central.base_url
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(src("central.base_url"), "central.base_url",
                          f"must start with http:// or https://, got {url!r}")
    printer = settings.printer
    if printer.kind in ("file", "usb", "serial", "network") and not printer.target:
        raise ConfigError(origin.get("printer.target", src("printer.kind")), "printer.target",
                          f"printer.kind = {printer.kind} needs a target")
    cards = settings.cards
    need = {"serial": "qr_scanner_port", "hid": "qr_scanner_device"}.get(cards.qr_scanner)
    if need and not _setting(settings, "cards", need):
        raise ConfigError(origin.get(f"cards.{need}", src("cards.qr_scanner")), f"cards.{need}",
                          f"cards.qr_scanner = {cards.qr_scanner} needs {need}")
    hotline = settings.region.hotline
    if not (hotline.isdigit() and 3 <= len(hotline) <= 12):
        raise ConfigError(src("region.hotline"), "region.hotline",
                          f"must be 3 to 12 digits, got {hotline!r}")
    for number in settings.region.official_hotlines:
        if not (number.isdigit() and 3 <= len(number) <= 12):
            raise ConfigError(src("region.official_hotlines"), "region.official_hotlines",
                              f"each must be 3 to 12 digits, got {number!r}")
    outlet = settings.kiosk.outlet
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", outlet):
        raise ConfigError(src("kiosk.outlet"), "kiosk.outlet",
                          f"must be 1 to 40 lower-case letters, digits, - or _, got {outlet!r}")
    try:
        parse_key_map(settings.access.keys)
    except ValueError as exc:
        raise ConfigError(src("access.keys"), "access.keys", str(exc)) from None
    try:
        parse_opening_hours(settings.display.opening_hours)
    except ValueError as exc:
        raise ConfigError(src("display.opening_hours"), "display.opening_hours",
                          str(exc)) from None
    try:
        region_zone(settings.region.timezone)
    except ValueError:
        raise ConfigError(src("region.timezone"), "region.timezone",
                          f"unknown time zone {settings.region.timezone!r} "
                          "(expected e.g. Asia/Shanghai)") from None
    return settings


def _hex_item(source: str, dotted: str, text: str, lo: int, hi: int) -> str:
    """One hex byte string, as upper case without separators ("3b 8f:80" → "3B8F80")."""
    clean = "".join(text.replace(":", " ").split()).upper()
    try:
        size = len(bytes.fromhex(clean))
    except ValueError:
        raise ConfigError(source, dotted, f"expected hex bytes, got {text!r}") from None
    if not lo <= size <= hi:
        raise ConfigError(source, dotted,
                          f"expected {lo} to {hi} bytes of hex, got {size} in {text!r}")
    return clean


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None,
    overlay: Mapping[str, object] | None = None, overlay_source: str = "overlay",
) -> Settings:
    """Load, merge and validate settings; raise :class:`ConfigError` on any problem.

    ``overlay`` (``{section: {key: value}}``, a centrally pushed config) is laid over
    the site profile and under the environment, and validated like the files."""
    base = Path(path) if path else DEFAULT_CONFIG
    environ = dict(os.environ if environ is None else environ)
    hints = get_type_hints(Settings)
    # Start from the dataclass defaults so that rules see every key.
    values: dict[str, dict[str, SettingValue]] = {
        name: {f.name: getattr(hints[name](), f.name) for f in fields(hints[name])}
        for name in hints if name != "sources"}
    origin: dict[str, str] = {}
    _merge(values, origin, _read_toml(base), str(base))
    env = _env_layer(environ)
    # The site may come from the environment; read it before choosing the profile.
    env_site = env.get("kiosk", {}).get("site")
    site = env_site.parse(want_text=True) if env_site else values["kiosk"]["site"]
    if site not in CHOICES[("kiosk", "site")]:
        raise ConfigError(origin.get("kiosk.site", "environment"), "kiosk.site",
                          f"must be one of outlet, medical, got {site!r}")
    sources = [str(base)]
    profile = base.parent / "sites" / f"{site}.toml"
    if profile.exists():
        _merge(values, origin, _read_toml(profile), str(profile))
        sources.append(str(profile))
    if overlay:
        _merge(values, origin, overlay, overlay_source)
        sources.append(overlay_source)
    if env:
        _merge(values, origin, env, "environment")
        sources.append("environment")
    sections = {name: hints[name](**values.get(name, {}))
                for name in hints if name != "sources"}
    return _validate(Settings(**sections, sources=tuple(sources)), origin)
