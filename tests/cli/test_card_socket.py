"""``kiosk card`` against a control socket that answers badly: one line, exit 1."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from kiosk.devices.virtual.control import ControlServer
from tests.fixtures.cli import clean_env, one_line_error, run_kiosk


def _garbling_server(path: Path) -> socket.socket:
    """A socket that answers every request with a line that is not JSON."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(2)

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.makefile("rb").readline(4096)
                conn.sendall(b"<html>not json\n")

    threading.Thread(target=serve, daemon=True).start()
    return srv


def test_a_reply_not_understood_is_one_line(tmp_path):
    path = tmp_path / "cards.sock"
    srv = _garbling_server(path)
    try:
        line = one_line_error(run_kiosk(["card", "--socket", str(path), "remove"],
                                        clean_env(KIOSK__KIOSK__DATA_DIR=str(tmp_path))))
    finally:
        srv.close()
    assert line == f"kiosk: card remove: the reply from {path} was not understood"


def test_a_refusal_is_one_line_with_the_devices_words(tmp_path):
    path = tmp_path / "cards.sock"
    server = ControlServer(lambda req: {"ok": False, "error": "slot jammed"}, "refuser")
    server.serve(path)
    try:
        line = one_line_error(run_kiosk(["card", "--socket", str(path), "remove"],
                                        clean_env(KIOSK__KIOSK__DATA_DIR=str(tmp_path))))
    finally:
        server.stop()
    assert line == "kiosk: card remove: slot jammed"


def test_no_device_is_one_line_naming_the_socket(tmp_path):
    path = tmp_path / "none.sock"
    line = one_line_error(run_kiosk(["card", "--socket", str(path), "remove"],
                                    clean_env(KIOSK__KIOSK__DATA_DIR=str(tmp_path))))
    assert f"no virtual card slots running at {path}" in line
