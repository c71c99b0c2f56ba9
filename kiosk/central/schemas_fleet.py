"""The fleet contract in ``/v1``: a terminal's heartbeat with status, the centre's
directives in the (signed) answer, and the support bundle's upload.

No personal data can travel in a heartbeat: there is no free-text field. Every string is
an enum value or a short code matching :data:`CODE_PATTERN` (lower-case letters and
underscores: no digits, so no ID, card or phone number fits; at most 40 characters), a
terminal id, a version or a hash of fixed shape. Counts are keyed by the same codes.
``tests/fleet/test_schema_privacy.py`` walks the JSON schema to keep it so.

Directives carry an ``id``; the terminal acknowledges each in its next heartbeat and
never applies one twice. The centre repeats every unacknowledged directive in each
answer, so an answer lost in an outage loses nothing.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from kiosk.central.schemas import _Model, _Response
from kiosk.domain.pause_reasons import PauseReason

CODE_PATTERN = r"^[a-z][a-z_]{0,39}$"
TERMINAL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$"
DIRECTIVE_ID_PATTERN = r"^[A-Za-z0-9-]{8,64}$"
HEX64_PATTERN = r"^[0-9a-f]{64}$"
MAX_COUNT_KEYS = 32
MAX_ACKS = 64
MAX_DIRECTIVES = 16
BUNDLE_CHUNK_BYTES = 9 * 1024  # raw bytes per chunk: base64 + JSON stays under the 16 KiB cap
BUNDLE_MAX_CHUNKS = 512  # 4.5 MiB: a compressed bundle of scrubbed logs fits


class FleetPath(StrEnum):
    """The fleet operations (all POST, signed)."""

    HEARTBEAT = "/v1/fleet/heartbeat"
    BUNDLE = "/v1/fleet/bundle"


Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=40)]
TerminalId = Annotated[str, Field(pattern=TERMINAL_PATTERN, max_length=64)]
DirectiveId = Annotated[str, Field(pattern=DIRECTIVE_ID_PATTERN, max_length=64)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]


class Light(StrEnum):
    """A part's status light."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


class Paper(StrEnum):
    """The receipt printer's paper (``none``: the site has no printer)."""

    OK = "ok"
    LOW = "low"
    OUT = "out"
    UNKNOWN = "unknown"
    NONE = "none"


class AckOutcome(StrEnum):
    """What the terminal did with a directive."""

    APPLIED = "applied"
    REFUSED = "refused"  # e.g. an overlay that does not validate
    FAILED = "failed"  # e.g. a bundle that could not be made or sent


class PartStatus(_Model):
    """One part: its light and a short code saying why (``diagnostics`` summary key)."""

    light: Light
    code: Code


class ReadersStatus(PartStatus):
    """The PC/SC readers, and how many are connected."""

    count: int = Field(ge=0, le=64)


class PrinterStatus(PartStatus):
    """The receipt printer, with its paper."""

    paper: Paper


class DiskStatus(PartStatus):
    """Free space and writability of the data and log directories."""

    free_mb: int | None = Field(default=None, ge=0, le=1 << 40)


class ClockStatus(PartStatus):
    """The terminal's clock against the centre's."""

    skew_seconds: float | None = Field(default=None, ge=-1e9, le=1e9,
                                       description="terminal minus centre, from the "
                                                   "previous answer's server_time")


class OutboxPart(PartStatus):
    """Confirmed requests waiting to be delivered."""

    depth: Count
    oldest_age_seconds: float | None = Field(default=None, ge=0, le=1e10)
    # Added in 0.2 (optional both ways: older terminals leave them out, and a terminal
    # sends them only while there is an alert, so a centre that predates them refuses
    # nothing until then; upgrade the centre first).
    undeliverable: Count | None = Field(
        default=None, description="confirmed requests the terminal keeps but cannot "
        "deliver (refused by the centre, or for a terminal problem for too long): "
        "someone must act; absent when none")
    alert: Code | None = Field(default=None, description="the newest such request's "
                               "alert: held_<refusal code> or stuck_<terminal problem>")


class TechnicianStatus(PartStatus):
    """Technician PIN lock-outs (never the PIN or its hash)."""

    locked: bool
    locked_seconds: int = Field(ge=0, le=1 << 31)
    failures: Count
    lockouts: Count
    alert: bool


class Parts(_Model):
    """Every part's status."""

    readers: ReadersStatus
    id_reader: PartStatus
    printer: PrinterStatus
    speech: PartStatus
    disk: DiskStatus
    clock: ClockStatus
    outbox: OutboxPart
    technician: TechnicianStatus


class Counts(_Model):
    """Counts since the previous heartbeat that reached the centre, by journey and by
    failure kind (codes of the kiosk's own vocabularies)."""

    period_seconds: float = Field(ge=0, le=1e9)
    sessions_started: dict[Code, Count] = Field(default_factory=dict,
                                                max_length=MAX_COUNT_KEYS)
    sessions_finished: dict[Code, Count] = Field(default_factory=dict,
                                                 max_length=MAX_COUNT_KEYS)
    failures: dict[Code, Count] = Field(default_factory=dict, max_length=MAX_COUNT_KEYS)


class Ack(_Model):
    """A directive's outcome, sent in the heartbeats after it was handled until one of
    them reaches the centre."""

    directive_id: DirectiveId
    outcome: AckOutcome
    reason: Code | None = None


class FleetHeartbeat(_Model):
    """Everything a terminal tells the centre, every ``fleet.heartbeat_seconds``."""

    terminal_id: TerminalId
    clock: dt.datetime = Field(description="the terminal's clock (UTC, ISO 8601)")
    version: str = Field(pattern=VERSION_PATTERN, max_length=40)
    config_hash: str = Field(pattern=HEX64_PATTERN, max_length=64,
                             description="sha256 of the settings in effect")
    config_version: int = Field(ge=0, le=1 << 31,
                                description="the applied overlay's version (0: none)")
    config_rolled_back_from: int | None = Field(
        default=None, ge=1, le=1 << 31,
        description="an overlay version the terminal rolled back after a failed start")
    site: Code
    uptime_seconds: float = Field(ge=0, le=1e10)
    heartbeat_seconds: int = Field(ge=1, le=86_400, description="the terminal's interval: "
                                   "the centre calls it silent after three missed")
    paused: bool
    parts: Parts
    counts: Counts
    acks: list[Ack] = Field(default_factory=list, max_length=MAX_ACKS)


class PauseDirective(_Response):
    """Finish the current journey, then show the out-of-service screen until resumed."""

    id: DirectiveId
    kind: Literal["pause"] = "pause"
    reason: PauseReason
    guidance_readable: bool = Field(default=True,
                                    description="plain guidance stays readable")


class ResumeDirective(_Response):
    """Back in service."""

    id: DirectiveId
    kind: Literal["resume"] = "resume"


OverlayValue = str | int | float | bool | list[str]


class ConfigDirective(_Response):
    """A settings overlay (``{section: {key: value}}``), validated by the terminal with
    its own typed settings and applied at its next idle moment."""

    id: DirectiveId
    kind: Literal["config"] = "config"
    version: int = Field(ge=1, le=1 << 31)
    overlay: dict[Code, dict[Code, OverlayValue]] = Field(max_length=32)


class BundleDirective(_Response):
    """Make the support bundle (no personal data) and upload it (:class:`BundleChunk`)."""

    id: DirectiveId
    kind: Literal["collect_bundle"] = "collect_bundle"


Directive = Annotated[PauseDirective | ResumeDirective | ConfigDirective | BundleDirective,
                      Field(discriminator="kind")]


class FleetHeartbeatResult(_Response):
    """The centre's answer: its time, and every directive not yet acknowledged."""

    server_time: dt.datetime
    accepted: bool = Field(description="false when the terminal clock is out of range")
    directives: list[Directive] = Field(default_factory=list, max_length=MAX_DIRECTIVES)


class BundleChunk(_Model):
    """One part of a support bundle (``.tar.gz``), base64; chunks go in order."""

    directive_id: DirectiveId
    index: int = Field(ge=0, lt=BUNDLE_MAX_CHUNKS)
    total: int = Field(ge=1, le=BUNDLE_MAX_CHUNKS)
    sha256: str = Field(pattern=HEX64_PATTERN, max_length=64, description="of the whole bundle")
    data: str = Field(pattern=r"^[A-Za-z0-9+/=]*$",
                      max_length=(BUNDLE_CHUNK_BYTES * 4) // 3 + 4)


class BundleChunkResult(_Response):
    """How many chunks the centre holds, and whether the bundle is complete."""

    received: int = Field(ge=0, le=BUNDLE_MAX_CHUNKS)
    complete: bool


FLEET_OPERATIONS: dict[FleetPath, tuple[type[_Model], type[_Response]]] = {
    FleetPath.HEARTBEAT: (FleetHeartbeat, FleetHeartbeatResult),
    FleetPath.BUNDLE: (BundleChunk, BundleChunkResult),
}
