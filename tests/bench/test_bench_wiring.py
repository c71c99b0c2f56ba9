"""The bench plumbing: the soak verdict, the bench's sandbox (bench rate limits, niced),
`kiosk bench journeys|touch` failing with one line and a non-zero exit, and a real
`kiosk bench touch` run: an idle touch is seen at once, not at the next idle wake-up."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from kiosk.bench import soak
from kiosk.bench.bench_sandbox import SANDBOX_NICE_STEP, start_sandbox
from kiosk.bench.journeys import _one_line, _run_child
from kiosk.central.client import CentralClient
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.secrets import load_secrets
from kiosk.system.memory import heap_mb
from tests.fixtures.cli import run_kiosk
from tests.fixtures.sandbox import central_test_settings


def sample(n: int, rss: float, **over: int) -> dict:
    base = {"sessions": n, "rss_mb": rss, "fds": 25, "threads": 14, "widgets": 2045,
            "outbox_kb": 60, "sandbox_db_kb": 4000}
    return {**base, **over}


def test_soak_samples_tell_a_c_heap_leak_from_freed_memory() -> None:
    before = heap_mb()
    block = bytearray(64 * 1024 * 1024)  # malloc'd (mmapped by glibc): in use
    held = heap_mb()
    assert held["heap_in_use_mb"] - before["heap_in_use_mb"] >= 60
    del block
    assert heap_mb()["heap_in_use_mb"] - before["heap_in_use_mb"] < 8
    split = soak.rss_split_mb()
    assert split["rss_anon_mb"] > 0 and split["rss_file_mb"] > 0
    line = soak.describe({**sample(1000, 300.0), **split, **held})
    assert line.startswith("after   1000 sessions: RSS 300.0 MB (anon ")
    assert f"C heap in use {held['heap_in_use_mb']:.1f} MB" in line
    assert "widgets 2045" in soak.describe(sample(0, 1.0))  # older samples: no heap part


def test_verdict_flat_and_not_flat() -> None:
    flat = [sample(0, 300.0), sample(1000, 301.0), sample(2000, 301.9)]
    assert soak.verdict(flat) == {"rss_growth_mb": 1.9, "not_flat": [], "ok": True}
    grown = [sample(0, 300.0), sample(1000, 301.0), sample(2000, 302.5)]
    assert soak.verdict(grown)["ok"] is False
    leak = [sample(0, 300.0), sample(1000, 300.0, widgets=2046), sample(2000, 300.0,
                                                                       widgets=2047, fds=26)]
    assert soak.verdict(leak)["not_flat"] == ["fds", "widgets"]
    # The sandbox fills its nonce window early on: judged from the middle sample.
    db = [sample(0, 300.0), sample(1000, 300.0, sandbox_db_kb=9000),
          sample(2000, 300.0, sandbox_db_kb=9100)]
    assert soak.verdict(db)["ok"] is True
    db[-1]["sandbox_db_kb"] = 9000 + soak.DB_SLACK_KB + 1
    assert soak.verdict(db)["not_flat"] == ["sandbox_db_kb"]
    assert soak.verdict([sample(0, 300.0)])["ok"] is True


def test_one_line_is_the_last_error_line() -> None:
    err = 'Traceback (most recent call last):\n  File "x"\nRuntimeError: boom\n{"soak": 1}\n\n'
    assert _one_line(err) == "RuntimeError: boom"
    assert _one_line("") == "no output"


def test_every_soak_sample_is_echoed_as_it_comes_and_stdout_kept(capsys) -> None:
    child = (
        "import json, sys, time\n"
        "for n in range(1, 41):\n"
        "    s = dict(sessions=n * 1000, rss_mb=300.0, fds=25, threads=14, widgets=2003,\n"
        "             outbox_kb=60, sandbox_db_kb=4000)\n"
        "    print('log line', file=sys.stderr)\n"
        "    print(json.dumps({'soak': s}), file=sys.stderr, flush=True)\n"
        "    print('x' * 5000, flush=True)\n"
        "    time.sleep(0.02)\n"  # samples come over time, as in a soak
        "print('{\"soak\": {\"sessions\": torn', file=sys.stderr)\n"  # a torn line: skipped
        "print('{\"figures\": 1}')\n")
    code, out, tail = _run_child([sys.executable, "-c", child], dict(os.environ), 60, True)
    echoed = [ln for ln in capsys.readouterr().out.splitlines() if "sessions: RSS" in ln]
    assert code == 0
    assert len(echoed) == 40 and echoed[-1].strip().startswith("after  40000 sessions")
    assert out.endswith('{"figures": 1}\n') and out.count("x" * 5000) == 40
    assert "torn" in tail


def test_the_bench_sandbox_serves_a_soak_and_runs_niced(tmp_path: Path) -> None:
    settings = central_test_settings(tmp_path)
    secrets = load_secrets(settings)  # the demo key, which the sandbox trusts too
    env = {"KIOSK__KIOSK__DATA_DIR": str(tmp_path), "KIOSK__KIOSK__DEMO": "true",
           "KIOSK__KIOSK__LOG_DIR": str(tmp_path / "log"),
           "KIOSK__SECURITY__SECRETS_FILE": str(tmp_path / "no-such-secrets.toml")}
    proc, url = start_sandbox(env, None, tmp_path)
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == min(19, mine + SANDBOX_NICE_STEP)
        client = CentralClient(dataclasses.replace(settings, central=dataclasses.replace(
            settings.central, base_url=url)), secrets)
        try:
            id_card, ssc = id_card_data("normal"), ssc_card_data("normal")
            # The real per-ID-number and per-card limits allow 30 and 12 at once; a soak
            # needs thousands.
            for _ in range(40):
                assert client.lookup_by_id_card(id_card).cards
                assert client.card_status(ssc=ssc).state
        finally:
            client.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_journeys_child_failure_is_one_line(tmp_path: Path) -> None:
    proc = run_kiosk(["bench", "journeys", "--sessions", "1", "--config",
                      str(tmp_path / "absent.toml")], dict(os.environ))
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kiosk: bench journeys failed: "), \
        proc.stderr
    assert "Traceback" not in proc.stderr


def test_touch_without_xdotool_is_one_line(tmp_path: Path) -> None:
    proc = run_kiosk(["bench", "touch", "--json"], {**os.environ, "PATH": str(tmp_path)})
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("kiosk: bench touch: xdotool is not installed "
                                   "(apt-get install xdotool)")
    assert proc.stdout == ""


def test_bench_touch_measures_idle_and_active_touches() -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KIOSK__", "KIVY", "KCFG_")) and k != "DISPLAY"}
    proc = run_kiosk(["bench", "touch", "--runs", "2", "--json"], env)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1 = the goal missed
    fig = json.loads(proc.stdout.strip().splitlines()[-1])["touch"]
    idle, active = fig["idle"], fig["active"]
    assert idle["n"] == active["n"] == 2
    # Idle clicks come after the governor's still spell, active ones inside it.
    assert idle["still_before_s"]["min"] > 3.0 > active["still_before_s"]["max"]
    # How fast an idle click is seen is a figure for the bench, not a timed test here:
    # tests/ui/test_idle_input_wake.py shows that input ends the idle wait.
    for mode in (idle, active):
        assert 0 < mode["to_down_ms"]["median"] < mode["to_screen_ms"]["median"] < 2000
