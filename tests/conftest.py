"""Shared pytest set-up. Fixtures for real parts live in tests/fixtures/ as plugins."""

import os

pytest_plugins: list[str] = [
    "tests.fixtures.access",
    "tests.fixtures.kivy_app",
    "tests.fixtures.pcsc",
    "tests.fixtures.sandbox",
    "tests.fixtures.centre",
]

# The shipped config is production; the suite exercises the demo stack (virtual cards,
# sandbox, demo secrets) unless a test sets up production itself (tests/deploy).
os.environ.setdefault("KIOSK__KIOSK__DEMO", "true")
