"""The e-SSC in the real window: the real app under Xvfb, parts from the composition
root on real parts (the sandbox over HTTP, a private pcscd with virtual cards, the
virtual QR scanner on a pty read by the real scanner watcher)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.composition.parts import build_kiosk
from kiosk.devices.scanner import virtual_scanner_path
from kiosk.devices.virtual.scanner import VirtualScanner
from kiosk.logs import JsonMaskingFormatter
from tests.e2e.window.conftest import Journey


class Captured(logging.Handler):
    """Every log line of the run, formatted as the log file would have it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonMaskingFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclasses.dataclass
class Essc(Journey):
    scanner: Any = None
    codes: list[str] = dataclasses.field(default_factory=list)

    def scan(self, persona: str = "normal", **flags: bool) -> str:
        code = self.sandbox.admin("POST", "/essc/codes",
                                  json={"persona": persona, **flags})["code"]
        self.codes.append(code)
        self.scanner.scan(code)
        return code

    def refused(self, refusal: str) -> None:
        self.screen("essc_refused")
        key = f"essc.refused.{refusal}.title"
        self.ui.wait_until(lambda: self.ui.find_all(root=self.app.sm.current_screen, key=key),
                           8, f"refusal {refusal}")


@pytest.fixture
def essc(kiosk_ui: Any, central_settings: Any, virtual_slots: Any, sandbox: Any,
         pcscd_alive: Any) -> Iterator[Essc]:
    from kiosk.ui.journeys.bridge import kivy_dispatch

    s = central_settings
    settings = dataclasses.replace(
        s, kiosk=dataclasses.replace(s.kiosk, site="outlet", demo=True),
        features=dataclasses.replace(s.features, cancel_pre_loss=True),
        cards=dataclasses.replace(s.cards, id_reader="pcsc", ssc_reader="", id_pcsc_reader="",
                                  qr_scanner="serial", qr_scanner_port="virtual"),
        printer=dataclasses.replace(s.printer, kind="dummy"))
    scanner = VirtualScanner(virtual_scanner_path(settings))
    logs = Captured()
    logging.getLogger("kiosk").addHandler(logs)
    app = kiosk_ui.app
    parts = build_kiosk(settings, kivy_dispatch, speech=False)
    own = app.use_parts(parts)
    parts.start()
    kiosk_ui.wait_until(lambda: parts.scanner.status()["state"] == "up", 5, "scanner up")
    kiosk_ui.wait_until(lambda: len(parts.hub.snapshot().get("readers", {})) >= 2, 5,
                        "both readers")
    baseline = (len(sandbox.store.recorded_pre_losses()),
                len(sandbox.store.recorded_cancellations()))
    j = Essc(kiosk_ui, parts, virtual_slots, sandbox, pcscd_alive, settings, baseline,
             scanner=scanner)
    try:
        yield j
    finally:
        app.use_parts(own)
        parts.stop()
        scanner.stop()
        logging.getLogger("kiosk").removeHandler(logs)
        text = "\n".join(logs.lines)
        for code in j.codes:  # the kiosk never logs a code, nor a piece of it
            assert code not in text and code[6:22] not in text


def test_code_at_the_start_screen_leads_to_pre_loss_without_a_card(essc: Essc) -> None:
    j = essc
    j.screen("attract")
    j.scan("normal")
    j.screen("essc_choose")
    assert "王**" in j.texts() and "王小明" not in j.texts()
    j.tap(key="essc.choose.pre_loss")
    j.screen("pre_loss_cards")
    assert "*****0019" in j.texts()
    j.tap(key="journeys.cards.choose")
    j.screen("pre_loss_consequences")
    j.tap(key="journeys.consequences.confirm")
    j.screen("pre_loss_done")
    assert [r["card_number"] for r in j.new_pre_losses()] == ["X00000019"]
    assert j.ctl.session.id_number is None  # identified without the ID number
    j.tap(key="app.done")
    j.screen("attract")
    assert j.ctl.session.is_empty()


def test_status_by_essc_from_the_identify_screen(essc: Essc) -> None:
    j = essc
    j.ui.tap(key="attract.status")
    j.screen("status")
    assert j.shown(key="essc.identify.offer") and j.shown(key="essc.identify.how")
    j.scan("replacement")
    j.screen("status_progress")
    assert "李**" in j.texts()  # the holder, masked; the card lines may be on page 2
    masked = {c.card_number_masked for c in j.ctl.state.view.cards}
    assert masked & {"*****0116", "*****0108"}
    assert j.ctl.state.view.stage == "ready_for_pickup"


def test_expired_reused_and_foreign_codes_have_their_screens(essc: Essc) -> None:
    j = essc
    j.ui.tap(key="attract.pre_loss")
    j.screen("pre_loss")
    j.scan("normal", expired=True)
    j.refused("expired")
    assert "refresh the code in your app and scan again" in j.texts() or \
        "请在应用中刷新二维码后重新扫码" in j.texts()
    j.tap(key="essc.refused.scan_again")
    j.screen("pre_loss")
    j.scan("normal", used=True)
    j.refused("already_used")
    j.tap(key="essc.refused.scan_again")
    j.screen("pre_loss")
    j.codes.append("https://pay.example.com/qr/7f3e9a1c5b")
    j.scanner.scan(j.codes[-1])
    j.refused("not_an_essc")
    j.scan("normal")  # scanning a good code from the refusal screen goes on
    j.screen("pre_loss_cards")
    assert j.new_pre_losses() == []


def test_a_revoked_essc_offers_the_id_card_not_another_scan(essc: Essc) -> None:
    """Scanning a revoked e-SSC again cannot help: the main button offers the ID card
    (it offered 重新扫码), from a journey's identify step and from the start screen."""
    j = essc
    j.ui.tap(key="attract.pre_loss")
    j.screen("pre_loss")
    j.scan("pin_blocked")
    j.refused("revoked")
    assert not j.ui.find_all(root=j.app.sm.current_screen, key="essc.refused.scan_again")
    assert "改用身份证办理" in j.texts() and "重新扫码" not in j.texts()
    j.tap(key="essc.refused.use_id_card")
    j.screen("pre_loss")   # where the ID card goes on the reader
    j.slots.insert("pin_blocked", "id")
    j.screen("pre_loss_cards")
    j.app.go_home()
    j.screen("attract")
    j.scan("pin_blocked")
    j.refused("revoked")
    j.tap(key="essc.refused.use_id_card_start")
    j.screen("attract")


def test_scanner_unplugged_mid_journey_then_back(essc: Essc) -> None:
    j = essc
    j.ui.tap(key="attract.pre_loss")
    j.screen("pre_loss")
    assert j.shown(key="essc.identify.how")
    j.scanner.unplug()
    j.ui.wait_until(lambda: j.ui.find_all(root=j.app.sm.current_screen,
                                          key="essc.identify.unavailable"), 5,
                    "the offer says the scanner is gone")
    j.slots.insert("normal", "id")  # the ID card still works
    j.screen("pre_loss_cards")
    j.slots.remove("id")
    j.tap(key="app.home")
    j.screen("attract")
    j.scanner.replug()
    j.ui.wait_until(lambda: j.parts.scanner.status()["state"] == "up", 8, "scanner back")
    j.ui.tap(key="attract.pre_loss")
    j.screen("pre_loss")
    assert j.shown(key="essc.identify.how")
    j.scan("normal")
    j.screen("pre_loss_cards")


@pytest.mark.parametrize("large,contrast", [(False, False), (True, False), (False, True)],
                         ids=["normal", "large", "contrast"])
def test_new_screens_fit_in_every_mode_and_language(essc: Essc, large: bool,
                                                    contrast: bool) -> None:
    """The e-SSC screens and identify states, each sample in both languages, in normal,
    large-text and high-contrast modes (one test per mode: they run side by side): all text
    translated, nothing outside the content area (the whole-tour test checks only each
    screen's first sample in every mode)."""
    from kiosk.ui.tour import layout_problems

    j, problems = essc, []
    for name, states in (("pre_loss", ("essc", "essc_unavailable")), ("status", ("essc",)),
                         ("essc_choose", None), ("essc_refused", None)):
        screen = j.app.sm.get_screen(name)
        samples = screen.tour_states()
        for state in states or tuple(samples):
            for lang in ("zh_CN", "en"):
                j.app.set_language(lang)
                j.app.large_text, j.app.high_contrast = large, contrast
                if j.app.sm.current != name:
                    j.app.go(name)
                samples[state]()
                j.ui.pump_frames(4)
                assert "[essc." not in j.texts(), (name, state, lang)
                problems += [f"{name}/{state}/{lang}/large={large}/contrast={contrast}: {p}"
                             for p in layout_problems(j.ui) if "scrolling" not in p]
                j.app.note_activity()  # the inactivity warning must not cover it
    j.app.large_text = j.app.high_contrast = False
    j.app.set_language("zh_CN")
    assert problems == [], "\n".join(problems)


def test_technician_test_scan_shows_only_the_length(essc: Essc) -> None:
    j = essc
    screen = j.app.sm.get_screen("diag_readers")
    j.app.go("diag_readers")
    screen.test_scan()
    j.ui.wait_until(lambda: j.parts.scanner.test_scan_waiting, 10, "the test scan waiting")
    code = j.scan("normal")
    j.ui.wait_until(lambda: f"{len(code)}" in screen.ids.result.text, 10, "test scan result")
    assert code not in screen.ids.result.text
    assert j.ctl.state.step.value == "home"  # the test code started no journey
