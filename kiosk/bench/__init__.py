"""Benchmarks: each module ``kiosk/bench/<topic>.py`` has ``run(args) -> int`` and prints
figures."""
