"""Checks against real local parts in good and failed states: disk (a real 1 MB tmpfs
when mountable, else thresholds), printer (Dummy, out of paper, unplugged), speech
(espeak-ng), config/secrets, outbox (real SQLite), ID reader (a pty serial reader,
a shared library), clock (skew from a heartbeat probe)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import threading

import pytest

from kiosk.central.outbox import Outbox
from kiosk.central.probe import HeartbeatProbe
from kiosk.cli.diagnose import diagnostics_context
from kiosk.devices.printer import DummyPrinter
from kiosk.services.diagnostics import CheckStatus, DiagnosticsContext
from kiosk.services.diagnostics.checks import (
    check_clock,
    check_config,
    check_disk,
    check_id_reader,
    check_outbox,
    check_printer,
    check_speech,
)
from kiosk.services.diagnostics.context import utcnow
from tests.diagnostics.helpers import outbox_file, settings_for
from tests.fixtures.strict import skip_or_fail


def ctx_for(tmp_path, **overrides) -> DiagnosticsContext:
    return diagnostics_context(settings_for(tmp_path, **overrides))


# -- disk ---------------------------------------------------------------------------------

def test_disk_ok_with_plenty_of_space(tmp_path):
    result = check_disk(ctx_for(tmp_path, diagnostics__disk_warn_mb=1, diagnostics__disk_fail_mb=0))
    assert result.status is CheckStatus.OK
    assert result.details["free_mb"] > 1
    assert {v["dir"] for v in result.details["volumes"]} == {"data", "log"}


def test_disk_warns_below_the_threshold(tmp_path):
    result = check_disk(ctx_for(tmp_path, diagnostics__disk_warn_mb=10_000_000,
                                diagnostics__disk_fail_mb=0))
    assert result.status is CheckStatus.WARN and result.summary_key == "diagnostics.disk.low"


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        skip_or_fail(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_nearly_full_on_a_real_small_volume(tmp_path, small_tmpfs):
    settings_kw = {"kiosk__data_dir": str(small_tmpfs / "data"),
                   "kiosk__log_dir": str(small_tmpfs / "log"),
                   "diagnostics__disk_warn_mb": 2, "diagnostics__disk_fail_mb": 1}
    ctx = diagnostics_context(settings_for(tmp_path, **settings_kw))
    assert check_disk(ctx).status is CheckStatus.WARN  # an empty 1 MB volume: 1 MB free
    (small_tmpfs / "half").write_bytes(b"\0" * 600_000)
    nearly = check_disk(ctx)
    assert nearly.status is CheckStatus.FAIL and nearly.summary_key == "diagnostics.disk.full"
    # Fill it completely: now not even writable.
    with open(small_tmpfs / "filler", "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    result = check_disk(ctx)
    assert result.status is CheckStatus.FAIL
    assert result.summary_key == "diagnostics.disk.unwritable"
    assert result.details["free_mb"] == 0


def test_disk_unwritable_directory_fails(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    ctx = diagnostics_context(settings_for(tmp_path, kiosk__log_dir=str(blocker / "log")))
    assert check_disk(ctx).status is CheckStatus.FAIL


# -- printer ------------------------------------------------------------------------------

def test_printer_states_from_the_dummy(tmp_path):
    ctx = ctx_for(tmp_path, printer__kind="dummy")
    printer = ctx.get_printer()
    assert isinstance(printer, DummyPrinter)
    assert check_printer(ctx).status is CheckStatus.OK
    printer.paper = False
    result = check_printer(ctx)
    assert result.status is CheckStatus.FAIL
    assert result.summary_key == "diagnostics.printer.out_of_paper"
    printer.paper, printer.online = True, False
    assert check_printer(ctx).summary_key == "diagnostics.printer.offline"


def test_no_printer_configured_is_fine(tmp_path):
    result = check_printer(ctx_for(tmp_path))
    assert result.status is CheckStatus.OK
    assert result.summary_key == "diagnostics.printer.not_configured"


def test_file_printer_in_a_missing_directory_is_offline(tmp_path):
    ctx = ctx_for(tmp_path, printer__kind="file", printer__target=str(tmp_path / "no" / "lp0"))
    assert check_printer(ctx).status is CheckStatus.FAIL


# -- speech -------------------------------------------------------------------------------

def test_speech_synthesises_both_languages(tmp_path):
    result = check_speech(ctx_for(tmp_path, speech__player="sox -q -t wav - -n"))
    assert result.status in (CheckStatus.OK, CheckStatus.WARN)  # WARN: no sound card here
    assert set(result.details["synth_ms"]) == {"zh_CN", "en"}
    assert all(ms < 2000 for ms in result.details["synth_ms"].values())


def test_speech_missing_engine_fails(tmp_path):
    result = check_speech(ctx_for(tmp_path, speech__command="espeak-ng-missing"))
    assert result.status is CheckStatus.FAIL
    assert result.summary_key == "diagnostics.speech.missing"


def test_speech_disabled_is_ok(tmp_path):
    result = check_speech(ctx_for(tmp_path, speech__enabled=False))
    assert result.status is CheckStatus.OK and result.summary_key.endswith("disabled")


# -- config -------------------------------------------------------------------------------

def test_config_ok_in_demo_mode(tmp_path):
    result = check_config(ctx_for(tmp_path))
    assert result.status is CheckStatus.OK
    assert result.details["terminal_id"] == "T-DEMO-0001"


def test_config_fails_on_a_world_readable_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('terminal_key = "00"\n')
    os.chmod(secrets, 0o644)
    result = check_config(ctx_for(tmp_path, security__secrets_file=str(secrets)))
    assert result.status is CheckStatus.FAIL
    assert "too open" in result.details["error"]
    assert "terminal_key = " not in str(result.details)


# -- outbox -------------------------------------------------------------------------------

def test_outbox_empty_pending_and_stale(tmp_path):
    ctx = ctx_for(tmp_path, diagnostics__outbox_warn_age_seconds=600)
    assert check_outbox(ctx).summary_key == "diagnostics.outbox.empty"
    now = [1_000_000.0]
    box = Outbox(outbox_file(ctx.settings), clock=lambda: now[0])
    box.enqueue("pre_loss", {"card_number": "X00000019", "id_number": "110105198503071230"},
                "key-1")
    ctx.outbox = box
    fresh = check_outbox(ctx)
    assert fresh.status is CheckStatus.OK and fresh.details["pending"] == 1
    now[0] += 3600
    stale = check_outbox(ctx)
    assert stale.status is CheckStatus.WARN
    assert stale.details["oldest_age_seconds"] == pytest.approx(3600)
    assert "X00000019" not in str(stale.details)
    box.close()


def test_outbox_unreadable_fails(tmp_path):
    ctx = ctx_for(tmp_path)
    path = outbox_file(ctx.settings)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    result = check_outbox(ctx)
    assert result.status is CheckStatus.FAIL
    assert result.summary_key == "diagnostics.outbox.unavailable"


# -- ID reader ----------------------------------------------------------------------------

class PtyIdReader:
    """A serial ID reader on a pty: answers "find card" with the no-card frame."""

    NO_CARD = bytes.fromhex("AAAAAA9669000400008084")

    def __init__(self, answer: bool = True) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.answer = answer
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        got = b""
        while not self._stop.is_set():
            try:
                chunk = os.read(self.master, 64)
            except OSError:
                return
            got += chunk
            if got.endswith(bytes.fromhex("AAAAAA96690003200122")) and self.answer:
                os.write(self.master, self.NO_CARD)
                got = b""

    def close(self) -> None:
        self._stop.set()
        os.close(self.slave)
        os.close(self.master)


def test_serial_id_reader_that_answers_is_ok(tmp_path):
    reader = PtyIdReader()
    try:
        import termios
        import tty

        tty.setraw(reader.slave)  # a USB serial port is raw; don't echo our bytes back
        termios.tcflush(reader.slave, termios.TCIOFLUSH)
        ctx = ctx_for(tmp_path, cards__id_reader="serial", cards__id_serial_port=reader.path)
        result = check_id_reader(ctx)
        assert result.status is CheckStatus.OK, result
    finally:
        reader.close()


def test_serial_id_reader_silent_or_missing_fails(tmp_path):
    reader = PtyIdReader(answer=False)
    try:
        import tty

        tty.setraw(reader.slave)
        ctx = ctx_for(tmp_path, cards__id_reader="serial", cards__id_serial_port=reader.path)
        assert check_id_reader(ctx).summary_key == "diagnostics.id_reader.no_answer"
    finally:
        reader.close()
    ctx = ctx_for(tmp_path, cards__id_reader="serial",
                  cards__id_serial_port=str(tmp_path / "ttyUSB9"))
    assert check_id_reader(ctx).summary_key == "diagnostics.id_reader.no_port"


def test_sdk_id_reader_library(tmp_path):
    assert check_id_reader(ctx_for(tmp_path, cards__id_reader="sdk",
                                   cards__id_sdk_library="c")).status is CheckStatus.OK
    missing = check_id_reader(ctx_for(tmp_path, cards__id_reader="sdk",
                                      cards__id_sdk_library="libsdtapi-missing.so"))
    assert missing.summary_key == "diagnostics.id_reader.no_library"


def test_no_id_reader_configured(tmp_path):
    result = check_id_reader(ctx_for(tmp_path, cards__id_reader="none"))
    assert result.status is CheckStatus.OK


# -- clock --------------------------------------------------------------------------------

def _probe(skew: float, accepted: bool = True) -> HeartbeatProbe:
    at = utcnow()
    return HeartbeatProbe(True, 5.0, at, server_time=at + dt.timedelta(seconds=skew),
                          accepted=accepted)


@pytest.mark.parametrize(("skew", "status"), [(3, CheckStatus.OK), (200, CheckStatus.WARN),
                                              (-400, CheckStatus.FAIL)])
def test_clock_skew_levels(tmp_path, skew, status):
    ctx = ctx_for(tmp_path)  # max skew 300 s
    ctx._probe = _probe(skew)
    result = check_clock(ctx)
    assert result.status is status
    assert result.details["skew_seconds"] == pytest.approx(skew, abs=0.5)


def test_clock_without_central_is_unverified(tmp_path):
    ctx = ctx_for(tmp_path)
    ctx._probe = HeartbeatProbe(False, 1.0, utcnow(), error_kind="offline")
    assert check_clock(ctx).summary_key == "diagnostics.clock.unverified"
