"""Shared pytest set-up. Fixtures for real parts live in tests/fixtures/ as plugins."""

import os

from hypothesis import HealthCheck, settings

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

# Property tests check what the code does, never how fast: no per-example deadline (the
# 200 ms default fails a correct test on a loaded machine) and no "too slow" health check
# (it times data generation). How fast a parser is belongs to `kiosk bench fuzz`.
# tests/test_no_sleeps_or_timings.py keeps a test from setting a deadline of its own.
# `kiosk bench mutate` asks for its own profile (deterministic, no example database).
settings.register_profile("kiosk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("KIOSK_HYPOTHESIS_PROFILE", "kiosk"))
