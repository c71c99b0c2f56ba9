"""The rules settings must keep: allowed values, ranges, hex lists and the rules between
keys, checked once on the merged settings (:func:`validate`)."""

from __future__ import annotations

import re
from dataclasses import replace

from kiosk.config.sections import ConfigError, Settings
from kiosk.domain.alternatives import Alternative
from kiosk.domain.clock import region_zone
from kiosk.domain.keypad import parse_key_map
from kiosk.domain.opening_hours import parse_opening_hours

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


def _setting(settings: Settings, sec: str, key: str) -> object:
    """One setting by section and key name (the rule tables name them so)."""
    section: object = getattr(settings, sec)
    value: object = getattr(section, key)
    return value


def validate(settings: Settings, origin: dict[str, str]) -> Settings:
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
