"""Two technician screens: the readers list follows a test read, and there is no test
page without a printer (real window, private pcscd with a virtual card)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.diagnostics.test_screens import enter, ui  # noqa: F401  (the fixture)


def _lines(screen: Any) -> list[str]:
    """The key of each reader's line (one row per reader: its line and its test
    button)."""
    return [row.ids.line.key for row in screen.ids.readers.children]


@pytest.mark.pcsc
def test_the_readers_list_follows_a_test_read(ui, virtual_slots, wait_card_state  # noqa: F811
                                              ) -> None:
    from tests.fixtures.pcsc import SSC_READER

    virtual_slots.remove("ssc")
    wait_card_state(SSC_READER, False)
    enter(ui)
    ui.tap(key="diagnostics.ui.readers")
    screen = ui.wait_for_screen("diag_readers")
    ui.wait_until(lambda: ui.find_all(key="diagnostics.ui.test_read"), 10, "readers")
    assert "diagnostics.ui.card_present_line" not in _lines(screen)
    virtual_slots.insert("normal", "ssc")
    wait_card_state(SSC_READER, True)
    screen.test_read(SSC_READER)
    ui.wait_until(lambda: "diagnostics.ui.card_present_line" in _lines(screen), 10,
                  "the list says the card is there after the read")
    virtual_slots.remove("ssc")


def test_no_test_page_without_a_printer(ui, monkeypatch) -> None:  # noqa: F811
    import dataclasses

    from kiosk.services.diagnostics import DiagnosticsContext
    from kiosk.ui.technician.base import technician

    settings = ui.app.settings
    monkeypatch.setattr(ui.app, "settings", dataclasses.replace(
        settings, printer=dataclasses.replace(settings.printer, kind="none")))
    monkeypatch.setattr(technician(ui.app), "context",
                        lambda: DiagnosticsContext(ui.app.settings))
    enter(ui)
    ui.tap(key="diagnostics.ui.printer")
    screen = ui.wait_for_screen("diag_printer")
    ui.pump_frames(3)
    assert screen.ids.test_page.disabled and screen.ids.test_page.opacity == 0
    screen.test_page()  # even if reached: no job, the words say why
    assert screen.ids.result.key == "diagnostics.printer.not_configured"


def test_the_audio_test_says_why_nothing_plays_without_a_speaker(ui) -> None:  # noqa: F811
    """The test app runs without a speaker (built with speech off): the technician's
    audio test builds none of its own, and says in words why nothing plays."""
    from kiosk.ui.technician.base import technician

    assert ui.app.parts.speaker is None and technician(ui.app).speaker() is None
    enter(ui)
    ui.tap(key="diagnostics.ui.audio")
    screen = ui.wait_for_screen("diag_audio")
    expected = ("diagnostics.speech.missing" if ui.app.settings.speech.enabled
                else "diagnostics.speech.disabled")
    for button in ("diagnostics.ui.say_zh", "diagnostics.ui.cue_touch"):
        screen.ids.result.key = ""
        ui.tap(key=button)
        ui.wait_until(lambda: screen.ids.result.key == expected, 5, "why nothing plays")
        assert screen.ids.result.text
