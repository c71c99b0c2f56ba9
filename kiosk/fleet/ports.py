"""What the fleet agent needs of the parts it is given, as structural interfaces: the
real ones are :class:`kiosk.central.client.CentralClient` (the kiosk's one client) and
:class:`kiosk.devices.speech.Speaker`; mypy checks them where the agent is built
(:func:`kiosk.composition.fleet.build_fleet_agent`)."""

from __future__ import annotations

from typing import Protocol

from kiosk.central import schemas_fleet as f


class FleetClient(Protocol):
    """What the agent asks the centre (blocking calls that raise ``CentralError``)."""

    def fleet_heartbeat(self, report: f.FleetHeartbeat) -> f.FleetHeartbeatResult: ...

    def upload_bundle_chunk(self, chunk: f.BundleChunk) -> f.BundleChunkResult: ...

    def close(self) -> None: ...


class LiveSpeaker(Protocol):
    """What the heartbeat reads of the app's speaker."""

    last_error: str | None

    def available(self) -> bool: ...
