"""Sandbox central service (FastAPI + uvicorn + SQLite) for the demo and the tests.

Use :func:`kiosk.central.sandbox.server.start_sandbox_thread` (in-process thread) or the
``kiosk sandbox`` command (foreground process).
"""
