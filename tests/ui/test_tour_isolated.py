"""``kiosk tour`` beside a running demo, configured like that demo (same data folder,
log folder and central URL), after other kiosk runs have filled the log folder: no
request reaches the demo's sandbox, the data and log folders are left exactly as they
were, and the tour passes (its log page shows sample lines, not the machine's).

Before: the tour built the real parts on the configured folders and central: it sent
signed heartbeats to the demo's sandbox, and its log page needed scrolling."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import load_settings
from kiosk.demo import start_demo_services
from kiosk.logs import LOG_FILE, JsonMaskingFormatter
from tests.fixtures.cli import clean_env, run_kiosk

pytestmark = pytest.mark.ui


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill_log(log_dir: Path, lines: int = 400) -> None:
    """What other kiosk runs leave: many long lines in the kiosk's own format."""
    log_dir.mkdir(parents=True, exist_ok=True)
    fmt = JsonMaskingFormatter()
    out = []
    for i in range(lines):
        record = logging.LogRecord("kiosk.central.client", logging.WARNING, __file__, 0,
                                   "central call failed", None, None)
        record.fields = {"op": "heartbeat", "kind": "offline", "attempt": i,
                         "note": "ANOTHER-RUN " + "x" * 120}
        out.append(fmt.format(record))
    (log_dir / LOG_FILE).write_text("\n".join(out) + "\n", encoding="utf-8")


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: size and modification time (ns); not the demo's own
    sandbox database, which the demo itself keeps working on (its requests are
    counted at its front door instead)."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith("sandbox.db")}


class Counter:
    """Counts every HTTP request the sandbox's front door sees (public port)."""

    def __init__(self, gate: Any) -> None:
        self.paths: list[str] = []
        v1, public = gate._v1, gate.public

        async def counted_v1(scope: dict, receive: Any, send: Any) -> None:
            self.paths.append(scope.get("path", ""))
            await v1(scope, receive, send)

        async def counted_public(scope: dict, receive: Any, send: Any) -> None:
            if scope.get("type") == "http":
                self.paths.append(scope.get("path", ""))
            await public(scope, receive, send)

        gate._v1, gate.public = counted_v1, counted_public


def test_a_tour_beside_a_running_demo_sends_nothing_and_touches_nothing(tmp_path: Path):
    data, logs, out = tmp_path / "data", tmp_path / "log", tmp_path / "tour"
    env = clean_env(KIOSK__KIOSK__DEMO="true", KIOSK__KIOSK__DATA_DIR=str(data),
                    KIOSK__KIOSK__LOG_DIR=str(logs),
                    KIOSK__CENTRAL__BASE_URL=f"http://127.0.0.1:{free_port()}",
                    KIOSK__FLEET__HEARTBEAT_SECONDS="5")
    settings = load_settings(environ={k: v for k, v in env.items()
                                      if k.startswith("KIOSK__")})
    demo = start_demo_services(settings, pcsc=False)   # the demo's sandbox, as it runs
    try:
        sandbox = demo.parts[0]
        seen = Counter(sandbox.gate)
        fill_log(logs)
        before_data, before_logs = tree(data), tree(logs)
        assert before_data and before_logs
        proc = run_kiosk(["tour", "--out", str(out), "--lang", "en", "--screen", "diag_logs",
                          "--screen", "diag_central", "--screen", "diag_overview",
                          "--screen", "diag_outbox", "--screen", "pre_loss",
                          "--screen", "pre_loss_cards", "--screen", "status_progress"],
                         env, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "0 problem(s)" in proc.stdout
        assert seen.paths == [], seen.paths
        assert sandbox.admin("GET", "/heartbeats") == []
        assert tree(data) == before_data and tree(logs) == before_logs
        assert (out / "diag_logs-default-en.png").exists()
    finally:
        demo.stop()
