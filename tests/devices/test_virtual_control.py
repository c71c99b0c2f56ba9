"""The virtual devices' control socket: private, bounded, and it survives bad requests."""

from __future__ import annotations

import json
import socket
import stat
import threading

import pytest

from kiosk.devices.virtual.control import MAX_LINE, ControlServer, send_control


def _raw(path, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, return the reply line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(data)
        return s.makefile("rb").readline(65536)


@pytest.fixture
def served(tmp_path):
    seen: list[dict] = []

    def handle(req: dict) -> dict:
        seen.append(req)
        if req.get("cmd") == "boom":
            raise RuntimeError("handler bug")
        return {"ok": True, "echo": req.get("cmd")}

    srv = ControlServer(handle, "test-control", timeout=1.0)
    path = tmp_path / "ctl" / "test.sock"
    srv.serve(path)
    yield srv, path, seen
    srv.stop()


def test_the_socket_is_private_0600(served):
    _, path, _ = served
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_request_is_answered(served):
    _, path, seen = served
    assert send_control(path, {"cmd": "status"}) == {"ok": True, "echo": "status"}
    assert seen == [{"cmd": "status"}]


@pytest.mark.parametrize("line", [b"{not json\n", b"[1, 2]\n", b"42\n", b"\xff\xfe\n",
                                  b"\"cmd\"\n"])
def test_a_malformed_line_is_answered_and_the_server_goes_on(served, line):
    _, path, seen = served

    reply = json.loads(_raw(path, line))
    assert reply["ok"] is False and reply["error"].startswith("bad request")
    assert seen == []  # the handler never sees anything but a dict
    assert send_control(path, {"cmd": "status"})["ok"] is True


def test_an_oversized_line_is_refused_unread(served):
    _, path, seen = served

    # A line longer than the bound: the server reads at most MAX_LINE + 1 bytes of it.
    reply = json.loads(_raw(path, b'{"cmd": "' + b"x" * (MAX_LINE * 4) + b'"}\n'))
    assert reply == {"ok": False, "error": "bad request: too long"}
    assert seen == []
    assert send_control(path, {"cmd": "status"})["ok"] is True


def test_a_handler_failure_is_answered_and_the_server_goes_on(served):
    _, path, _ = served
    assert send_control(path, {"cmd": "boom"}) == {"ok": False, "error": "failed: RuntimeError"}
    assert send_control(path, {"cmd": "status"})["ok"] is True


def test_a_silent_client_is_dropped_after_the_timeout(served):
    _, path, _ = served

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(path))
        # Says nothing: the server gives up after its 1 s timeout and answers.
        reply = json.loads(s.makefile("rb").readline(65536))
    assert reply["ok"] is False and reply["error"].startswith("bad request")
    assert send_control(path, {"cmd": "status"})["ok"] is True


def test_exclusive_refuses_a_live_socket_and_replaces_a_stale_one(tmp_path, served):
    _, live, _ = served
    other = ControlServer(lambda req: {"ok": True}, "second")
    with pytest.raises(RuntimeError, match="already served"):
        other.serve(live, exclusive=True)
    assert send_control(live, {"cmd": "status"})["ok"] is True  # the first still serves

    stale = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()  # a socket file nobody listens on, as a crashed run leaves
    other.serve(stale, exclusive=True)
    try:
        assert send_control(stale, {"cmd": "x"}) == {"ok": True}
    finally:
        other.stop()
    assert not stale.exists()


def test_stop_ends_the_thread_and_removes_the_socket(tmp_path):
    srv = ControlServer(lambda req: {"ok": True}, "stopper")
    path = tmp_path / "s.sock"
    srv.serve(path)
    before = {t.name for t in threading.enumerate()}
    assert "stopper" in before
    srv.stop()
    assert not path.exists()
    assert "stopper" not in {t.name for t in threading.enumerate()}
    with pytest.raises(OSError):
        send_control(path, {"cmd": "status"})
