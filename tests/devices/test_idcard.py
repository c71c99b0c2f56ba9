"""ID card: text block, serial protocol against a virtual reader on a pty, PC/SC profile
script, vendor SDK adapter (missing library, and a stub library built with cc)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.devices.idcard import make_id_reader
from kiosk.devices.idcard.pcsc_profile import read_id_text
from kiosk.devices.idcard.sdk_reader import SdkIdReader
from kiosk.devices.idcard.serial_reader import (
    FIND,
    READ,
    SELECT,
    SerialIdReader,
    checksum,
    frame,
    parse_frame,
)
from kiosk.devices.idcard.text import build_text_block, parse_text_block
from kiosk.devices.pcsc.errors import CardError
from kiosk.devices.virtual.id_serial import VirtualSerialIdReader
from kiosk.personas import persona
from tests.devices.apdu_script import ScriptedCard, load_script

TODAY = dt.date(2026, 11, 25)


def test_command_frames_match_the_protocol() -> None:
    for cmd, para, raw in ((0x20, 0x01, FIND), (0x20, 0x02, SELECT), (0x30, 0x01, READ)):
        assert frame(bytes([cmd, para])) == raw
    no_card = bytes.fromhex("AAAAAA9669000400008084")
    assert frame(b"\x00\x00\x80") == no_card and parse_frame(no_card) == b"\x00\x00\x80"
    assert checksum(b"\x00\x03\x20\x01") == 0x22


def test_text_block_roundtrip_and_codes() -> None:
    block = build_text_block(persona("normal")["id"])
    assert len(block) == 256
    data = parse_text_block(block, today=TODAY)
    assert (data.name, data.gender, data.ethnicity) == ("王小明", "male", "01")
    assert data.valid_to == dt.date(2035, 3, 1) and data.address == "北京市朝阳区建国路88号"
    long_term = parse_text_block(build_text_block(persona("pre_lost")["id"]), today=TODAY)
    assert long_term.valid_to is None and not long_term.is_expired(TODAY)
    expired = parse_text_block(build_text_block(persona("expired_id")["id"]), today=TODAY)
    assert expired.is_expired(TODAY) and expired.ethnicity == "04"
    for key, code, word in (("normal", "0", "unknown"), ("x_check", "2", "female"),
                            ("normal", "9", "unstated")):
        p = dict(persona(key)["id"], gender=code)
        assert parse_text_block(build_text_block(p), today=TODAY).gender == word


@pytest.mark.parametrize("change", [
    {"gender": "5"}, {"ethnicity": "77"}, {"id_number": "110105198503071231"},
    {"birth_date": "19850308"}, {"valid_to": "20100101"}, {"valid_from": "2015AB01"},
    {"gender": "2"}, {"valid_from": "19800101"}, {"valid_from": "20300101"},
])
def test_lying_id_card_is_unsupported(change: dict[str, str]) -> None:
    p = dict(persona("normal")["id"], **change)
    with pytest.raises(CardError) as ei:
        parse_text_block(build_text_block(p), today=TODAY)
    assert ei.value.kind == "unsupported_card"


def test_pcsc_profile_script_long_term_validity() -> None:
    card = ScriptedCard(load_script("id_expired_ssc.apdu"))
    data = read_id_text(card, TODAY)
    assert card.done and len(card.sent) == 2 and data.valid_to is None


@pytest.fixture
def pty_reader():
    virtual = VirtualSerialIdReader()
    yield virtual
    virtual.close()


def test_serial_reader_over_pty(pty_reader: VirtualSerialIdReader) -> None:
    reader = SerialIdReader(pty_reader.port, timeout=1.0)
    try:
        with pytest.raises(CardError) as ei:
            reader.read(TODAY)
        assert ei.value.kind == "no_card" and ei.value.raw_code == 0x80
        pty_reader.present("x_check")
        data = reader.read(TODAY)
        assert data.id_number == "11010519930614882X" and data.gender == "female"
        assert len(data.photo) == 1024
        # Like a real reader: lift and present again before the next read.
        with pytest.raises(CardError) as ei:
            reader.read(TODAY)
        assert ei.value.kind == "no_card"
        pty_reader.lift()
        pty_reader.present("pre_lost")
        assert reader.read(TODAY).valid_to is None
        pty_reader.lift()
        pty_reader.present("normal")
        pty_reader.corrupt_next = True
        with pytest.raises(CardError) as ei:
            reader.read(TODAY)
        assert ei.value.kind == "comm_failed" and "checksum" in str(ei.value)
    finally:
        reader.close()


def test_serial_reader_missing_port_and_silent_port(tmp_path: Path) -> None:
    with pytest.raises(CardError) as ei:
        SerialIdReader(str(tmp_path / "ttyUSB9"))
    assert ei.value.kind == "no_reader"
    import os
    import tty
    master, slave = os.openpty()  # a port where nobody answers
    tty.setraw(slave)
    try:
        reader = SerialIdReader(os.ttyname(slave), timeout=0.2)
        with pytest.raises(CardError) as ei:
            reader.read(TODAY)
        assert ei.value.kind == "comm_failed"
        reader.close()
    finally:
        os.close(master)
        os.close(slave)


def _settings(**cards: str):
    base = load_settings(environ={})
    return dataclasses.replace(base, cards=dataclasses.replace(base.cards, **cards))


def test_make_id_reader_by_config(pty_reader: VirtualSerialIdReader, tmp_path: Path) -> None:
    reader = make_id_reader(_settings(id_reader="serial", id_serial_port=pty_reader.port))
    assert isinstance(reader, SerialIdReader)
    reader.close()
    with pytest.raises(CardError) as ei:
        make_id_reader(_settings(id_reader="sdk", id_sdk_library=str(tmp_path / "libnone.so")))
    assert ei.value.kind == "no_reader" and "cards.id_sdk_library" in str(ei.value)
    with pytest.raises(CardError) as ei:
        make_id_reader(_settings(id_reader="none"))
    assert ei.value.kind == "no_reader"


STUB_C = r"""
#include <string.h>
static const unsigned char text[256] = {%s};
static int present = %d;
int SDT_StartFindIDCard(int port, unsigned char *info, int open) {
    return present ? 0x9F : 0x80; }
int SDT_SelectIDCard(int port, unsigned char *info, int open) { return 0x90; }
int SDT_ReadBaseMsg(int port, unsigned char *t, unsigned int *tl, unsigned char *p,
                    unsigned int *pl, int open) {
    memcpy(t, text, 256); *tl = 256; *pl = 0; return 0x90; }
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler to build the SDK stub")
@pytest.mark.parametrize("present", [1, 0])
def test_sdk_adapter_with_stub_library(tmp_path: Path, present: int) -> None:
    block = build_text_block(persona("rare_name")["id"])
    src = tmp_path / "sdt.c"
    src.write_text(STUB_C % (",".join(str(b) for b in block), present))
    lib = tmp_path / "libsdtstub.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    reader = SdkIdReader(str(lib))
    if present:
        assert reader.read(TODAY).name == "欧阳喆赟"
    else:
        with pytest.raises(CardError) as ei:
            reader.read(TODAY)
        assert ei.value.kind == "no_card"
    reader.close()
