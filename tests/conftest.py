"""Shared pytest set-up. Fixtures for real parts live in tests/fixtures/ as plugins."""

pytest_plugins: list[str] = [
    "tests.fixtures.kivy_app",
    "tests.fixtures.pcsc",
    "tests.fixtures.sandbox",
]
