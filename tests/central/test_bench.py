"""``kiosk bench central`` runs end to end and prints its figures (smoke test, not timed)."""

from __future__ import annotations

import argparse
import json

from kiosk.bench import central


def test_bench_central_prints_figures(capsys):
    assert central.run(argparse.Namespace(runs=5, json=True, config=None)) == 0
    figures = json.loads(capsys.readouterr().out)["central"]
    assert {"client_status", "bare_session_status", "bare_requests_post_status",
            "outbox"} <= set(figures)
    assert figures["outbox"]["delivered"] == figures["outbox"]["items"]
