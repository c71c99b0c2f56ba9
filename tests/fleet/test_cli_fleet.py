"""``kiosk fleet`` as an operator runs it (a real process) against the real sandbox's
admin side: list, pause, resume, push a config, ask for a bundle; one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from kiosk.central.sandbox.fleet_access import write_admin_access
from tests.fixtures.cli import run_kiosk

REPO = Path(__file__).resolve().parents[2]


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return run_kiosk(args, {**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)


def _admin_args(sandbox, tmp_path: Path) -> list[str]:
    token = tmp_path / "token"
    token.write_text(sandbox.admin_token + "\n")
    return ["--admin-url", sandbox.admin_url, "--token-file", str(token)]


def _one_line_error(proc: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert proc.returncode == code, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_operator_round_trip(sandbox, terminals, tmp_path):
    t = terminals("T-CLI-0001")
    t.agent.beat()
    admin = ["fleet", *_admin_args(sandbox, tmp_path)]
    listed = kiosk(*admin, "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout)["terminals"]
               if r["terminal_id"] == "T-CLI-0001")
    assert row["version"] and set(row["parts"]) >= {"readers", "printer", "outbox"}
    table = kiosk(*admin, "ls")
    assert table.returncode == 0 and "T-CLI-0001" in table.stdout
    assert "TERMINAL" in table.stdout.splitlines()[0]

    paused = kiosk(*admin, "pause", "T-CLI-0001", "--reason", "maintenance")
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout.startswith("pause for T-CLI-0001: directive ")
    t.agent.beat()
    t.agent.beat()
    assert [e[0] for e in t.events] == ["pause"]
    row = t.register(sandbox)
    assert row["paused"] and row["directives"][0]["state"] == "acknowledged"
    assert "paused" in kiosk(*admin, "ls").stdout

    overlay = tmp_path / "overlay.toml"
    overlay.write_text('[region]\nhotline = "12333"\n', encoding="utf-8")
    pushed = kiosk(*admin, "push-config", "T-CLI-0001", str(overlay))
    assert pushed.returncode == 0 and "config version 1" in pushed.stdout
    assert kiosk(*admin, "resume", "T-CLI-0001").returncode == 0
    assert kiosk(*admin, "bundle", "T-CLI-0001").returncode == 0
    t.agent.beat()
    t.agent.beat()
    row = t.register(sandbox)
    assert [d["kind"] for d in row["directives"]] == ["pause", "config", "resume",
                                                      "collect_bundle"]
    assert all(d["outcome"] == "applied" for d in row["directives"])
    assert row["config_version"] == 1 and row["paused"] is False


def test_demo_default_reads_the_admin_file(sandbox, terminals, tmp_path):
    t = terminals("T-CLI-0002")
    t.agent.beat()
    write_admin_access(t.settings.data_dir, sandbox.admin_url, sandbox.admin_token)
    listed = kiosk("fleet", "--config", str(t.config), "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "T-CLI-0002" in listed.stdout


def test_errors_are_one_line(sandbox, terminals, tmp_path):
    t = terminals("T-CLI-0003")
    t.agent.beat()
    admin = ["fleet", *_admin_args(sandbox, tmp_path)]
    assert "unknown terminal" in _one_line_error(
        kiosk(*admin, "pause", "T-NOBODY", "--reason", "maintenance"))
    assert "invalid choice" in _one_line_error(
        kiosk(*admin, "pause", "T-CLI-0003", "--reason", "lunch"), 2)
    assert "no-such.toml" in _one_line_error(
        kiosk(*admin, "push-config", "T-CLI-0003", str(tmp_path / "no-such.toml")))
    bad = tmp_path / "bad.toml"
    bad.write_text("region = [", encoding="utf-8")
    assert "not valid TOML" in _one_line_error(kiosk(*admin, "push-config", "T-CLI-0003",
                                                     str(bad)))
    flat = tmp_path / "flat.toml"
    flat.write_text('hotline = "12333"\n', encoding="utf-8")
    assert "[section]" in _one_line_error(kiosk(*admin, "push-config", "T-CLI-0003",
                                                 str(flat)))
    wrong = tmp_path / "wrong-token"
    wrong.write_text("nope")
    assert "refused the token" in _one_line_error(kiosk(
        "fleet", "--admin-url", sandbox.admin_url, "--token-file", str(wrong), "ls"))
    assert "cannot reach" in _one_line_error(kiosk(
        "fleet", "--admin-url", "http://127.0.0.1:9", "--token-file", str(wrong), "ls"))
    assert "sandbox-admin.json" in _one_line_error(kiosk(
        "fleet", "--config", str(t.config), "ls"))
