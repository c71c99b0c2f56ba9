"""The support bundle the centre asked for: made by the technician's exporter
(:func:`kiosk.services.diagnostics.bundle.export_bundle` — config with secrets hidden,
versions, scrubbed logs, a diagnostics report; no personal data) in a private temporary
directory, then uploaded in signed chunks that each fit the service's body cap."""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from kiosk.central.errors import CentralError
from kiosk.central.schemas_fleet import (
    BUNDLE_CHUNK_BYTES,
    BUNDLE_MAX_CHUNKS,
    BundleChunk,
)
from kiosk.config import Settings
from kiosk.fleet.ports import FleetClient
from kiosk.logs import get_logger
from kiosk.services.diagnostics.bundle import BundleError, export_bundle
from kiosk.services.diagnostics.runner import Report

log = get_logger("kiosk.fleet")


class BundleFailed(Exception):
    """The bundle could not be made or sent; ``reason`` is a code for the ack."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def make_bundle(settings: Settings, dest: Path, report: Report) -> Path:
    """Write the bundle into ``dest`` (``report``: a diagnostics Report)."""
    try:
        return export_bundle(settings, dest, report)
    except BundleError as exc:
        raise BundleFailed(f"bundle_{exc.reason}") from None


def upload_bundle(client: FleetClient, directive_id: str, data: bytes) -> int:
    """Send ``data`` in chunks; answer the number of chunks. A chunk that fails is tried
    once more (a repeat is harmless); then :class:`BundleFailed`."""
    total = max(1, -(-len(data) // BUNDLE_CHUNK_BYTES))
    if total > BUNDLE_MAX_CHUNKS:
        raise BundleFailed("bundle_too_large")
    digest = hashlib.sha256(data).hexdigest()
    for index in range(total):
        part = data[index * BUNDLE_CHUNK_BYTES:(index + 1) * BUNDLE_CHUNK_BYTES]
        chunk = BundleChunk(directive_id=directive_id, index=index, total=total,
                            sha256=digest, data=base64.b64encode(part).decode("ascii"))
        for attempt in (1, 2):
            try:
                answer = client.upload_bundle_chunk(chunk)
                break
            except CentralError as exc:
                if attempt == 2:
                    raise BundleFailed(f"upload_{exc.kind}"[:40]) from None
        if index == total - 1 and not answer.complete:
            raise BundleFailed("upload_incomplete")
    log.info("support bundle uploaded", extra={"fields": {"bytes": len(data),
                                                          "chunks": total}})
    return total


def collect_and_upload(settings: Settings, client: FleetClient, directive_id: str,
                       report: Callable[[], Report]) -> int:
    """Make the bundle with a fresh ``report()`` and upload it; the file is deleted."""
    with tempfile.TemporaryDirectory(prefix="kiosk-fleet-") as tmp:
        path = make_bundle(settings, Path(tmp), report())
        return upload_bundle(client, directive_id, path.read_bytes())
