"""The sandbox central service as the benches run it: its own process on loopback.

On a terminal the central service is another machine; here it shares the cores with the
kiosk under test, so it runs niced (:data:`SANDBOX_NICE_STEP`): the figures are the
kiosk's, not the sandbox's fight for a core.

Its rate limits are raised for a bench (:data:`BENCH_LIMITS`): a soak looks up the same
two test people thousands of times from one terminal, which the real per-ID-number limit
(30 at once, then one every 5 s) rightly answers with 429 — the kiosk then shows the
"try later" message and the bench waited for the cards screen in vain. The limits
themselves are tested with the sandbox (tests/central).

Run as ``python -m kiosk.bench.bench_sandbox <kiosk sandbox arguments>``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from kiosk.central.sandbox import limits

SANDBOX_NICE_STEP = 10
BENCH_LIMITS = {"TERMINAL_LIMIT": (10_000.0, 10_000.0),  # (burst, per second)
                "ID_NUMBER_LIMIT": (10_000.0, 10_000.0),
                "CARD_NUMBER_LIMIT": (10_000.0, 10_000.0)}


def start_sandbox(env: dict[str, str], config: str | None, tmp: Path,
                  timeout: float = 20.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start the bench sandbox on a free loopback port; returns the process and its URL.
    ``env`` holds KIOSK__* settings (JSON-quoted here as the config loader expects)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [sys.executable, "-m", "kiosk.bench.bench_sandbox", "sandbox", "--port", str(port),
           "--db", str(tmp / "sandbox.db")]
    if config:
        cmd += ["--config", config]
    quoted = {k: v if v in ("true", "false") else json.dumps(v) for k, v in env.items()}
    proc = subprocess.Popen(cmd, env={**os.environ, **quoted}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: os.nice(SANDBOX_NICE_STEP))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    proc.wait(5)
    raise RuntimeError("the sandbox did not start")


def _serve(argv: list[str]) -> int:
    # The sandbox's app and gate read the limits when they are imported, which the
    # sandbox command does only when it runs: set them first.
    for name, (burst, per_second) in BENCH_LIMITS.items():
        setattr(limits, name, limits.Limit(burst=burst, per_second=per_second))
    from kiosk.cli.main import main  # lazy: the whole CLI, only in this process

    return main(argv)


if __name__ == "__main__":
    raise SystemExit(_serve(sys.argv[1:]))
