"""Screens. Each is a :class:`~kiosk.ui.screen_base.KioskScreen` in its own module with
a ``.kv`` of the same name, listed in :mod:`kiosk.ui.registry`."""
