"""The centre's schema, as versioned SQL files applied in order (kiosk/centre/migrate.py)."""
