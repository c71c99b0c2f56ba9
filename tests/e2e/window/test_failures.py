"""Failure screens in the real window: service offline (connection refused, not a 503)
at lookup and at confirmation, a card whose data cannot be read, and no card reader."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.devices.virtual.ssc_card import VirtualSscCard
from tests.e2e.window.conftest import Journey


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL on 127.0.0.1 where nothing listens: the port is held bound (so nobody else
    takes it) but not listening, so every connection is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def _refused_client(j: Journey, make_central_client: Any, url: str) -> Any:
    s = j.settings.central
    return make_central_client(base_url=url, retries=s.retries, read_timeout=s.read_timeout)


def test_offline_at_lookup_shows_the_hotline(journey: Journey, make_central_client: Any,
                                             refused_url: str) -> None:
    j = journey
    j.ctl.central = _refused_client(j, make_central_client, refused_url)
    j.open_pre_loss()
    j.slots.insert("normal", "id")
    j.failure("offline", 10)
    texts = j.texts()
    assert "现在连不上社保卡中心" in texts and "要马上停卡，请打电话96102" in texts
    assert j.shown(key="journeys.failure.offline.advice")
    assert j.new_pre_losses() == []
    # The service is back: trying again gets through.
    j.ctl.central = j.parts.central
    j.tap(key="journeys.failure.try_again")
    j.screen("pre_loss_cards", 10)
    assert "*****0019" in j.texts()


def test_offline_at_confirm_is_queued_and_the_receipt_says_pending(
        journey: Journey, make_central_client: Any, refused_url: str) -> None:
    j = journey
    j.choose_card()
    offline = _refused_client(j, make_central_client, refused_url)
    j.ctl.central = j.parts.sender.client = offline  # the outbox sender is offline too
    j.confirm_queued()
    printed = j.parts.printer.output.decode("gb18030", errors="replace").replace("\n", "")
    # The status line says what is true: saved here, not in effect, not yet at the centre.
    assert "办理状态：已保存在本终端，尚未生效，等待送达社保卡服务中心" in printed
    assert "已确认" not in printed
    assert "如需立即停止卡片结算功能，请拨打服务热线96102" in printed.replace(" ", "")
    assert "X00000019" not in printed and "王小明" not in printed
    assert len(j.parts.outbox.pending()) == 1  # the sender tried, and keeps it
    # The service is back: the queued pre-loss goes through, once.
    j.parts.sender.client = j.parts.central
    j.parts.sender.retry_now()
    j.ui.wait_until(lambda: j.new_pre_losses(), 10, "the queued pre-loss delivered")
    assert [r["card_number"] for r in j.new_pre_losses()] == ["X00000019"]
    j.ui.wait_until(lambda: not j.parts.outbox.pending(), 5, "the outbox emptied")


class ChipFaultCard(VirtualSscCard):
    """A social security card that answers, selects its application, then fails every
    record read with ``6F00`` (no precise diagnosis): a dirty or damaged chip."""

    def process(self, apdu: bytes) -> bytes | None:
        if len(apdu) >= 2 and apdu[1] == 0xB2:
            self.apdus += 1
            return b"\x6F\x00"
        return super().process(apdu)


def test_card_that_answers_but_cannot_be_read(journey: Journey) -> None:
    j = journey
    j.ui.tap(key="attract.status")
    j.screen("status")
    card = ChipFaultCard.from_persona("normal")
    j.slots.slots["ssc"].insert(card)
    j.failure("card_unreadable", 10)
    texts = j.texts()
    assert "卡读不出来" in texts and "擦一擦芯片" in texts and "96102" in texts
    assert card.apdus > 0  # it was really talked to
    j.lift("ssc")
    j.tap(key="journeys.failure.try_again")
    j.screen("status")
    j.slots.insert("normal", "ssc")
    j.screen("status_progress", 10)


def test_no_reader_then_readers_back(journey: Journey) -> None:
    j = journey
    j.open_pre_loss()
    try:
        j.pcscd.restart(with_vpcd=False)  # the card service is back, without readers
        j.failure("no_reader", 15)
        texts = j.texts()
        assert "读卡器没有连上" in texts and "96102" in texts
        assert j.parts.hub.reader_slots() == frozenset()
        j.tap(key="journeys.failure.try_again")  # still none: still says so
        j.failure("no_reader", 5)
    finally:
        j.pcscd.restart(with_vpcd=True)
    j.screen("pre_loss", 15)  # back by itself once the readers are there
    j.slots.insert("normal", "id")
    j.screen("pre_loss_cards", 10)
    assert "*****0019" in j.texts()
