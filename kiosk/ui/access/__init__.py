"""Accessibility: the keypad and voice (non-visual mode), the focus ring, the staff call
and the low-reach layout. See docs/accessibility.md.

- :mod:`.keys` — X keysym names → Kivy key codes; the configured key map.
- :mod:`.voice` — utterances as catalog keys, masked, logged, said (Kivy-free).
- :mod:`.elements` — what can take the focus on a screen, in order, and how it is said.
- :mod:`.ring` — the thick high-contrast focus ring.
- :mod:`.mode` — :class:`~kiosk.ui.access.mode.Access` (``app.access``): keys to
  actions, non-visual mode, announcements, headphones.
- :mod:`.help` — the staff call overlay (一键呼叫).
"""
