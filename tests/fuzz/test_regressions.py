"""Inputs the fuzzers found that broke a parser, kept as plain tests."""

from __future__ import annotations

import logging

import pytest

from kiosk.bench.fuzz_targets import TARGETS, check
from kiosk.central.errors import CentralError
from kiosk.config import ConfigError, load_settings


def test_a_config_file_that_is_not_utf8_is_a_config_error(tmp_path):
    # Found by config_file: tomllib raised UnicodeDecodeError, a traceback at start-up.
    path = tmp_path / "kiosk.toml"
    path.write_bytes(b"\x80[kiosk]\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_negative_chunk_size_is_a_central_error():
    # Found by central_reply: a hostile server answers "Transfer-Encoding: chunked" with
    # the chunk size line "-2".
    logging.disable(logging.CRITICAL)
    try:
        reply = (b"HTTP/1.1 200 X\r\nContent-Type: application/json\r\nConnection: close\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n-2\r\n")
        assert check(TARGETS["central_reply"], (reply, "heartbeat")) in {
            cls.__name__ for cls in _subclasses(CentralError)}
    finally:
        logging.disable(logging.NOTSET)


def _subclasses(cls: type) -> set[type]:
    out = {cls}
    for sub in cls.__subclasses__():
        out |= _subclasses(sub)
    return out
