"""The parts' life: BUILT → STARTED → STOPPED, once each, and stopping releases every
thread, socket and file the parts held — on real parts: the card hub on the private
pcscd, the central client, the fleet agent's heartbeats and the outbox on the sandbox
over HTTP, SQLite on disk, espeak-ng, the QR scanner on the virtual pty, the metrics
endpoint."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import urllib.request
from pathlib import Path

import pytest

from kiosk.composition.parts import PartsState, build_kiosk
from kiosk.config import Settings
from kiosk.devices.scanner import virtual_scanner_path
from kiosk.devices.virtual.scanner import VirtualScanner
from kiosk.services.diagnostics.checks import check_outbox, check_readers
from kiosk.services.diagnostics.runner import run_check
from kiosk.services.tasks import QueueDispatcher
from tests.fixtures.polling import until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _open_files() -> dict[str, str]:
    """This process's open file descriptors → what they are (a file, a socket, a pipe)."""
    out = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            out[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used, closed by now
            continue
    return out


def _ours(threads: set[threading.Thread]) -> list[str]:
    """The kiosk's threads among ``threads``: not the sandbox server's (the other end of
    the wire runs in this test process too; it starts worker threads as it serves)."""
    return sorted(t.name for t in threads if not t.name.startswith("AnyIO worker"))


def _everything_on(settings: Settings, data: Path) -> Settings:
    """``settings`` with every part this machine can run turned on."""
    return dataclasses.replace(
        settings,
        kiosk=dataclasses.replace(settings.kiosk, data_dir=str(data), demo=True),
        cards=dataclasses.replace(settings.cards, id_reader="pcsc", ssc_reader="",
                                  id_pcsc_reader="", qr_scanner="serial",
                                  qr_scanner_port="virtual"),
        speech=dataclasses.replace(settings.speech, enabled=True),
        fleet=dataclasses.replace(settings.fleet, enabled=True, heartbeat_seconds=3600),
        diagnostics=dataclasses.replace(settings.diagnostics, metrics_enabled=True,
                                        metrics_port=_free_port()))


@pytest.mark.pcsc
def test_stop_releases_every_thread_socket_and_file(central_settings: Settings,
                                                     virtual_slots: object,
                                                     tmp_path: Path) -> None:
    settings = _everything_on(central_settings, tmp_path / "data")
    scanner = VirtualScanner(virtual_scanner_path(settings))  # the hardware, not a part
    try:
        threads, files = set(threading.enumerate()), _open_files()
        parts = build_kiosk(settings, QueueDispatcher())
        assert parts.state is PartsState.BUILT
        assert None not in (parts.hub, parts.scanner, parts.fleet, parts.metrics,
                            parts.speaker, parts.outbox, parts.sender)
        parts.start()
        assert parts.state is PartsState.STARTED
        # Every part at work: cards watched, the scanner open, a heartbeat answered over
        # HTTP, the outbox on disk, the metrics endpoint serving, a technician check.
        until(lambda: parts.scanner is not None and parts.scanner.status()["state"] == "up",
              10, "the scanner open")
        assert parts.fleet is not None and parts.metrics is not None
        parts.fleet.beat()
        assert parts.fleet.beats_answered == 1
        port = settings.diagnostics.metrics_port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            assert b"kiosk_" in reply.read()
        # The technician and the fleet agent work on these very parts, never second ones.
        ctx = parts.technician.context()
        assert (ctx.card_hub, ctx.printer, ctx.speaker, ctx.central, ctx.outbox,
                ctx.qr_scanner, ctx.jack) == (parts.hub, parts.printer, parts.speaker,
                                              parts.central, parts.outbox, parts.scanner,
                                              parts.jack)
        assert parts.technician.speaker is parts.speaker
        assert parts.fleet.client is parts.central  # one client: one pool, one revocation
        assert parts.fleet.status._context().card_hub is parts.hub
        assert run_check(parts.technician.context(), check_outbox).status.value == "ok"
        readers = run_check(parts.technician.context(), check_readers)
        assert readers.details["count"] >= 1  # the hub's own view: no second PC/SC client
        assert len(set(threading.enumerate()) - threads) > 0
        assert set(_open_files()) - set(files)

        parts.stop()
        assert parts.state is PartsState.STOPPED
        until(lambda: not _ours(set(threading.enumerate()) - threads), 15,
              "every part's thread ended")
        until(lambda: not set(_open_files()) - set(files), 15,
              "every part's socket and file closed")
        with pytest.raises(OSError):  # the port is released
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)

        parts.start()  # once each: stopped parts never start again
        parts.stop()
        assert parts.state is PartsState.STOPPED
        assert not _ours(set(threading.enumerate()) - threads)
    finally:
        scanner.stop()


def test_parts_never_started_stop_too(tmp_path: Path, central_settings: Settings) -> None:
    """Built, never started (the app failed before its first frame): stop still
    releases what building opened (the outbox file, the speaker's thread)."""
    settings = dataclasses.replace(
        central_settings,
        kiosk=dataclasses.replace(central_settings.kiosk, data_dir=str(tmp_path)),
        speech=dataclasses.replace(central_settings.speech, enabled=True))
    threads, files = set(threading.enumerate()), _open_files()
    parts = build_kiosk(settings, QueueDispatcher(), cards=False, scanner=False, fleet=False)
    assert parts.state is PartsState.BUILT and parts.outbox is not None
    parts.stop()
    assert parts.state is PartsState.STOPPED
    until(lambda: not set(threading.enumerate()) - threads, 10, "threads ended")
    until(lambda: not set(_open_files()) - set(files), 10, "files closed")
