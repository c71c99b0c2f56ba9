"""The central card service: API contract, resilient client, durable outbox, sandbox.

- :mod:`kiosk.central.schemas` — the ``/v1`` contract (pydantic), shared by client and sandbox.
- :mod:`kiosk.central.signing` — per-terminal HMAC signing of requests and of replies.
- :mod:`kiosk.central.errors` — the one exception tree (with the status and exception
  tables) the services map to screens by kind.
- :mod:`kiosk.central.client` — :class:`~kiosk.central.client.CentralClient`.
- :mod:`kiosk.central.transport` — deadlines and cancel by closing the connection; capped reads.
- :mod:`kiosk.central.outbox` — SQLite queue of confirmed changes not yet acknowledged.
- :mod:`kiosk.central.sealing` — AES-GCM sealing of queued payloads.
- :mod:`kiosk.central.sandbox` — FastAPI + SQLite reference service for demo and tests.
"""
