"""Use cases and the cardholder session state machine. Kivy-free: tests drive them headless.

``JourneyController`` (controller.py) is the one object the UI talks to: it takes touches
and card events, runs every device/network call on a worker thread with a cancel, and
publishes an immutable :class:`~kiosk.services.states.State` that the UI renders.
"""
