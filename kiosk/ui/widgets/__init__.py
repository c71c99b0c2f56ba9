"""Reusable widgets. Importing this package registers their classes for kv files.

- :class:`~kiosk.ui.widgets.text.KLabel`: translated, themed, wrapping label.
- :class:`~kiosk.ui.widgets.buttons.KButton`: big themed button (``variant``: primary,
  secondary, header, danger), :class:`~kiosk.ui.widgets.buttons.JourneyTile`.
- :class:`~kiosk.ui.widgets.frame.ScreenFrame` / ``Header``: the frame of every screen.
- :class:`~kiosk.ui.widgets.overlay.InactivityOverlay`: "are you still there?".
"""

from pathlib import Path

from kivy.lang import Builder

from kiosk.ui.widgets import buttons, frame, overlay, pager, text  # noqa: F401  (register classes)

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
