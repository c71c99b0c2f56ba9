"""The central card service: API contract, resilient client, durable outbox, sandbox.

- :mod:`kiosk.central.schemas` — the ``/v1`` contract (pydantic), shared by client and sandbox.
- :mod:`kiosk.central.signing` — per-terminal HMAC request signing, shared by both sides.
- :mod:`kiosk.central.errors` — the one exception tree the services map to screens.
- :mod:`kiosk.central.client` — :class:`~kiosk.central.client.CentralClient`.
- :mod:`kiosk.central.outbox` — SQLite queue of confirmed changes not yet acknowledged.
- :mod:`kiosk.central.sandbox` — FastAPI + SQLite reference service for demo and tests.
"""
