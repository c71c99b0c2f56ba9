"""Self-service kiosk for social security cards."""

__version__ = "0.1.0"
