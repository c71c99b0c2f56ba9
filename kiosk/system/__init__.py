"""Talking to the operating system's service manager (systemd)."""
