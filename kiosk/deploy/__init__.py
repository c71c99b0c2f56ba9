"""Installing the kiosk on a terminal: versioned app dirs, /etc/kiosk, systemd, rollback."""
