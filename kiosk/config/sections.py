"""The settings' sections as typed, frozen dataclasses (what each key holds, its default),
:class:`Settings` (all of them), and :class:`ConfigError`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

from kiosk.domain.keypad import DEFAULT_KEYS

REPO_ROOT = Path(__file__).resolve().parents[2]

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
