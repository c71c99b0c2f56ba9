"""Technician plumbing: the hidden entry (gesture, technician card), PIN access, the
technician screen base and widgets (the screens themselves are in ui/screens/)."""
