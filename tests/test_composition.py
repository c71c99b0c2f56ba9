"""The real parts composed (no PC/SC here): durable outbox, and no central → honest offline."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kiosk.composition.parts import UnavailableCentral, build_kiosk
from kiosk.config import KioskSection, SecuritySection, Settings
from kiosk.services.states import Step
from kiosk.services.tasks import QueueDispatcher
from tests.services.fakes import Event, id_card


def settings_in(tmp_path: Path, **kiosk: object) -> Settings:
    return Settings(kiosk=KioskSection(data_dir=str(tmp_path), log_dir=str(tmp_path / "log"),
                                       **kiosk),
                    security=SecuritySection(secrets_file=str(tmp_path / "absent.toml")))


def test_missing_secrets_gives_offline_failures_not_a_crash(tmp_path: Path) -> None:
    dispatch = QueueDispatcher()
    parts = build_kiosk(settings_in(tmp_path, demo=False), dispatch, cards=False)
    try:
        assert isinstance(parts.central, UnavailableCentral)
        ctl = parts.controller
        ctl.start("pre_loss")
        ctl.on_card_event(Event("card_read", "id", id_card()))
        import time

        deadline = time.monotonic() + 3
        while ctl.state.step == Step.BUSY and time.monotonic() < deadline:
            dispatch.run_pending(wait=0.05)
        assert ctl.state.failure is not None and ctl.state.failure.kind == "offline"
    finally:
        parts.stop()


def test_outbox_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    from tests.services.fakes import FakeCentral

    parts = build_kiosk(dataclasses.replace(settings_in(tmp_path)), QueueDispatcher(),
                        central=FakeCentral(), cards=False)
    try:
        parts.outbox.enqueue("pre_loss", {"card_number": "X00000019",
                                         "id_number": "110105198503071230"}, "k" * 32)
        assert (tmp_path / "outbox.sqlite3").exists()
        assert len(parts.outbox.pending()) == 1
    finally:
        parts.stop()
