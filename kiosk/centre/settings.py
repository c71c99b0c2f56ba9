"""What one centre worker is started with (``kiosk-centre serve`` fills it from its
options): kept apart from :mod:`kiosk.centre.service`, which assembles the worker, so the
operators' routes can read it without importing the assembly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kiosk.central.sandbox.rules import RegionalRules


@dataclass
class CentreConfig:
    """What one worker needs (``kiosk-centre serve`` fills it from its options)."""

    url: str
    master_key_file: Path
    data_dir: Path
    rules: RegionalRules = field(default_factory=RegionalRules)
    max_skew: float = 300.0
    timezone: str = "Asia/Shanghai"
    harness: bool = False
    #: "simulated" (the sandbox's rules and fictional people: demo, tests, bench) or
    #: "package.module:factory", the province's adapter: factory(db, rules) -> core
    core: str = "simulated"
    pool_size: int = 16
    retention_days: int = 30
