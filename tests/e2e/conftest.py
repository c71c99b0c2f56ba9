"""End-to-end tests of the journeys.

The window tests (``tests/e2e/window/``) need the journey screens registered before the
one Kivy app of the process is built, which would change the shell's own UI tests (they
check that routes without a screen show the placeholder). So they run in a child pytest
process started by ``test_window_journeys.py``; they are collected only there
(``KIOSK_E2E_WINDOW=1``). Run them directly with
``KIOSK_E2E_WINDOW=1 .venv/bin/python -m pytest tests/e2e/window``.
"""

from __future__ import annotations

import os

collect_ignore_glob = [] if os.environ.get("KIOSK_E2E_WINDOW") == "1" else ["window/*"]
