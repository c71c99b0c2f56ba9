"""End-to-end tests of the journeys, in this process: the real window tests live in
``tests/e2e/window/`` and share the session's one Kivy app (tests.fixtures.kivy_app),
given real parts for each test with ``app.use_parts``."""
