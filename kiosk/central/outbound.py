"""A state change made by the client, ready to store and send (no I/O, no HTTP library:
the services and the outbox hold one without importing the client)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, repr=False)
class OutboundRequest:
    """A state change, ready to send: the operation's ``kind`` (one of the client's
    ``QUEUEABLE``) and its request ``body`` exactly as it goes on the wire (validated when
    made, and again when sent). The outbox stores the body as it is, sealed, without
    reading it, so what a request carries is the contract's business alone."""

    kind: str
    body: Mapping[str, object]

    def __repr__(self) -> str:  # the body is personal data
        return f"OutboundRequest(kind={self.kind})"
