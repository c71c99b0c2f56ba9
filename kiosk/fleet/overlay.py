"""Config overlays pushed by the centre, and the boot marker that makes a bad one safe.

Files in ``<data_dir>/fleet/``:

- ``overlay.json`` — the overlay in effect ``{"version", "values"}``;
- ``overlay.good.json`` — the last overlay with which the app reached its first frame;
- ``boot.marker`` — ``{"version", "boots"}``: written when an overlay is applied, counted
  up at each start, removed at the first frame (:meth:`OverlayStore.started`). A start
  that finds the marker already counted once means the previous start with this overlay
  never got to its first frame: the overlay is rolled back to the last good one, and
  the heartbeat reports ``config_rolled_back_from``.

An overlay is checked key by key against the allow-list of remote settings
(:mod:`kiosk.config_remote`: what the centre may set, within which bounds, against the
local config), then the settings it gives are validated like the local config
(:func:`kiosk.config.load_settings` with ``overlay=``). :func:`check_overlay` is that one
check: the fleet agent, ``kiosk fleet check-overlay`` and boot all use it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.config_remote import Refusal, Why, check_remote
from kiosk.fleet.files import fleet_dir, read_json, remove, write_json
from kiosk.logs import get_logger

log = get_logger("kiosk.fleet")


class OverlayRefused(Exception):
    """An overlay that cannot be used: ``refusals`` (one per refused key), ``reason`` the
    first one's code for the heartbeat's ack, ``str()`` every refusal on one line."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__("; ".join(r.line() for r in refusals))
        self.refusals = refusals
        self.reason = refusals[0].why.value


@dataclass(frozen=True)
class Overlay:
    """A config overlay: its version and ``{section: {key: value}}``."""

    version: int
    values: dict[str, dict[str, object]]


def check_overlay(values: object, config_path: str | Path | None = None,
                  environ: dict[str, str] | None = None
                  ) -> tuple[Settings | None, list[Refusal]]:
    """Check ``values`` exactly as a terminal whose local config is ``config_path`` (and
    ``environ``) does: each key against the allow-list and the local settings, then the
    settings it gives as a whole. Answers those settings and no refusal, or None and
    every refusal. A local config that does not load raises :class:`ConfigError`."""
    local = load_settings(config_path, environ)
    refusals = check_remote(values, local)
    if refusals:
        return None, refusals
    if not isinstance(values, Mapping):  # check_remote refuses anything else
        raise TypeError("an overlay is a table of tables")
    try:
        return load_settings(config_path, environ, overlay=dict(values)), []
    except ConfigError as exc:  # a rule between keys, or a local range
        return None, [Refusal(exc.key, Why.INVALID_CONFIG, exc.message)]


def validate_overlay(values: object, config_path: str | Path | None = None,
                     environ: dict[str, str] | None = None) -> Settings:
    """The settings ``values`` would give, or :class:`OverlayRefused`
    (:func:`check_overlay`)."""
    settings, refusals = check_overlay(values, config_path, environ)
    if settings is None:
        raise OverlayRefused(refusals)
    return settings


def settings_hash(settings: Settings) -> str:
    """sha256 of the settings in effect (what the heartbeat's ``config_hash`` says)."""
    data = json.dumps(settings.as_dict(), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class OverlayStore:
    """The overlay files of one terminal (see the module doc)."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = fleet_dir(data_dir)
        self.current_file = self.dir / "overlay.json"
        self.good_file = self.dir / "overlay.good.json"
        self.marker = self.dir / "boot.marker"
        self.rollback_file = self.dir / "rollback.json"

    @staticmethod
    def _read(path: Path) -> Overlay | None:
        raw = read_json(path)
        if not isinstance(raw, dict) or not isinstance(raw.get("values"), dict) \
                or not isinstance(raw.get("version"), int):
            return None
        return Overlay(raw["version"], raw["values"])

    def current(self) -> Overlay | None:
        """The overlay in effect (None: the local config alone)."""
        return self._read(self.current_file)

    def good(self) -> Overlay | None:
        """The last overlay a start reached its first frame with."""
        return self._read(self.good_file)

    @property
    def version(self) -> int:
        """The version of the overlay in effect (0: none)."""
        current = self.current()
        return current.version if current else 0

    def rolled_back_from(self) -> int | None:
        """The overlay version last rolled back after a failed start (until another
        overlay is applied)."""
        raw = read_json(self.rollback_file)
        value = raw.get("from") if isinstance(raw, dict) else None
        return value if isinstance(value, int) and value >= 1 else None

    def apply(self, version: int, values: Mapping[str, Mapping[str, object]]) -> None:
        """Make ``values`` the overlay in effect; the app must reach a frame with it
        (:meth:`started`) or the next start but one rolls it back."""
        write_json(self.marker, {"version": version, "boots": 0})
        write_json(self.current_file, {"version": version, "values": values})
        remove(self.rollback_file)
        log.info("config overlay applied", extra={"fields": {"version": version}})

    def revert(self) -> None:
        """Back to the last good overlay (or none), now."""
        bad = self.current()
        good = self.good()
        if good is None:
            remove(self.current_file)
        else:
            write_json(self.current_file, {"version": good.version, "values": good.values})
        remove(self.marker)
        if bad is not None and (good is None or bad.version != good.version):
            write_json(self.rollback_file, {"from": bad.version})
        log.warning("config overlay rolled back", extra={"fields": {
            "from": bad.version if bad else None, "to": good.version if good else 0}})

    def discard(self) -> None:
        """No overlay at all: the local config alone (the last resort)."""
        bad = self.current()
        for path in (self.current_file, self.good_file, self.marker):
            remove(path)
        if bad is not None:
            write_json(self.rollback_file, {"from": bad.version})

    def boot(self) -> Overlay | None:
        """At start-up: roll back if the previous start with the current overlay never
        reached its first frame; count this start; answer the overlay to use."""
        marker = read_json(self.marker)
        if isinstance(marker, dict):
            boots = marker.get("boots")
            if not isinstance(boots, int):
                boots = 1
            if boots >= 1:
                self.revert()
            else:
                write_json(self.marker, {**marker, "boots": boots + 1})
        return self.current()

    def started(self) -> None:
        """The app reached its first frame (or applied the overlay live): the overlay in
        effect is good."""
        if not self.marker.exists():
            return
        current = self.current()
        if current is None:
            remove(self.good_file)
        else:
            write_json(self.good_file, {"version": current.version, "values": current.values})
        remove(self.marker)


def boot_settings(config_path: str | Path | None = None,
                  environ: dict[str, str] | None = None) -> tuple[Settings, OverlayStore]:
    """The settings to start with: the local config with the overlay in effect laid over
    it (after a roll-back if the last start failed). An overlay the local config no longer
    accepts is rolled back as well; the local config alone is the last resort."""
    local = load_settings(config_path, environ)
    store = OverlayStore(local.data_dir)
    overlay = store.boot()
    while overlay is not None:
        try:
            return validate_overlay(overlay.values, config_path, environ), store
        except OverlayRefused as exc:
            log.warning("config overlay no longer valid", extra={"fields": {
                "version": overlay.version, "reason": exc.reason}})
            good = store.good()
            if good is not None and good.version != overlay.version:
                store.revert()
            else:
                store.discard()
            overlay = store.current()
    return local, store
