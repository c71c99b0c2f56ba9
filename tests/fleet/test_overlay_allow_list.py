"""Overlays by allow-list: each overlay of the review's findings, one per file,
is refused by ``kiosk fleet check-overlay`` (a real process) and by a real FleetAgent
taking it as a signed directive from the sandbox over HTTP — never taking effect, now or
at the next start, and reported in the heartbeat — while a harmless one is accepted by
both. Both use the same check (kiosk.fleet.overlay.check_overlay)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.central.sandbox.fleet_store import FleetStore
from kiosk.fleet.overlay import OverlayStore, boot_settings
from tests.fixtures.cli import one_line_error, run_kiosk

# (name, overlay, the refused key, the reason code in the heartbeat's ack)
REFUSED: list[tuple[str, dict[str, dict[str, Any]], str, str]] = [
    ("speech_player", {"speech": {"player": "sh -c 'id > /tmp/overlay-ran'"}},
     "speech.player", "local_only"),
    ("speech_command", {"speech": {"command": "/bin/sh"}}, "speech.command", "local_only"),
    ("printer_target", {"printer": {"target": "10.20.30.40:9100"}}, "printer.target",
     "local_only"),
    ("printer_network", {"printer": {"kind": "network"}}, "printer.kind", "local_only"),
    ("id_sdk_library", {"cards": {"id_sdk_library": "/tmp/evil.so"}},
     "cards.id_sdk_library", "local_only"),
    ("mobile_hotline", {"region": {"hotline": "13800138000"}}, "region.hotline",
     "not_official_hotline"),
    ("free_text_alternative", {"fleet": {"alternative_zh": "请拨打 13800138000 办理挂失"}},
     "fleet.alternative_zh", "local_only"),
    ("pin_tries_20", {"diagnostics": {"max_pin_attempts": 20}},
     "diagnostics.max_pin_attempts", "out_of_bounds"),
    ("inactivity_hour", {"session": {"inactivity_seconds": 3600}},
     "session.inactivity_seconds", "out_of_bounds"),
]
HARMLESS = {"display": {"opening_hours": ["mon-fri 08:00-17:30", "sat 09:00-12:00"]},
            "region": {"hotline": "12333"}}


def _toml(overlay: dict[str, dict[str, Any]]) -> str:
    """These overlays as TOML (JSON strings, numbers and lists of strings are TOML)."""
    return "".join(f"[{section}]\n" + "".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in table.items())
        for section, table in overlay.items())


def _file(tmp_path: Path, name: str, overlay: dict[str, dict[str, Any]]) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(_toml(overlay), encoding="utf-8")
    return path


def _check(*args: str):
    return run_kiosk(["fleet", "check-overlay", *args], timeout=60)


@pytest.mark.parametrize(("name", "overlay", "key", "reason"), REFUSED,
                         ids=[c[0] for c in REFUSED])
def test_check_overlay_refuses_each(tmp_path, name, overlay, key, reason):
    path = _file(tmp_path, name, overlay)
    proc = _check(str(path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"refused: {key}: "), proc.stdout
    as_json = _check(str(path), "--json")
    assert as_json.returncode == 1
    answer = json.loads(as_json.stdout)
    assert answer["accepted"] is False
    assert [(r["key"], r["reason"]) for r in answer["refused"]] == [(key, reason)]


def test_check_overlay_accepts_a_harmless_overlay(tmp_path):
    proc = _check(str(_file(tmp_path, "harmless", HARMLESS)))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "accepted\n", "")
    as_json = tmp_path / "harmless.json"  # as the centre sends it
    as_json.write_text(json.dumps(HARMLESS), encoding="utf-8")
    proc = _check(str(as_json), "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"accepted": True, "refused": []}


def test_check_overlay_lists_every_refused_key(tmp_path):
    overlay = {"speech": {"player": "x", "rate": 160},
               "printer": {"kind": "network", "target": "10.0.0.1:9100"},
               "region": {"hotline": "13800138000"}}
    proc = _check(str(_file(tmp_path, "many", overlay)))
    assert proc.returncode == 1
    assert [line.split(": ")[1] for line in proc.stdout.splitlines()] == [
        "speech.player", "printer.kind", "printer.target", "region.hotline"]


def test_check_overlay_checks_against_the_given_local_config(tmp_path):
    """The official hotlines are the terminal's own: another region lists others."""
    local = tmp_path / "kiosk.toml"
    local.write_text('[region]\nhotline = "96688"\nofficial_hotlines = ["96688", "12333"]\n',
                     encoding="utf-8")
    overlay = _file(tmp_path, "beijing", {"region": {"hotline": "96102"}})
    assert _check(str(overlay)).returncode == 0  # the shipped config: Beijing
    there = _check(str(overlay), "--config", str(local))
    assert there.returncode == 1 and there.stdout.startswith("refused: region.hotline: ")
    assert "96688, 12333" in there.stdout
    # `kiosk fleet --config X check-overlay` means the same.
    assert run_kiosk(["fleet", "--config", str(local), "check-overlay", str(overlay)],
                     timeout=60).returncode == 1


@pytest.mark.parametrize(("content", "fragment"), [
    (None, "cannot read"),
    (b"[speech\nplayer = 1", "not valid TOML"),
    (b"\xff\xfe[speech]", "not UTF-8"),
    (b"", "empty"),
])
def test_a_bad_file_is_one_line_and_exit_2(tmp_path, content, fragment):
    path = tmp_path / "overlay.toml"
    if content is not None:
        path.write_bytes(content)
    proc = _check(str(path))
    assert proc.returncode == 2
    assert fragment in one_line_error(proc)
    bad_config = _check(str(_file(tmp_path, "ok", HARMLESS)), "--config",
                        str(tmp_path / "missing.toml"))
    assert bad_config.returncode == 2 and "missing.toml" in one_line_error(bad_config)


def _directive(row: dict, directive_id: str) -> dict:
    return next(d for d in row["directives"] if d["id"] == directive_id)


def _local_view(settings) -> dict:
    return settings.as_dict()


@pytest.mark.parametrize(("name", "overlay", "key", "reason"), REFUSED,
                         ids=[c[0] for c in REFUSED])
def test_a_terminal_refuses_each_over_http_and_says_so(sandbox, terminals, tmp_path,
                                                        name, overlay, key, reason):
    t = terminals(f"T-ALLOW-{REFUSED.index((name, overlay, key, reason)):02d}")
    t.agent.beat()
    before_hash = t.agent.report().config_hash
    before = _local_view(t.agent.settings)
    # The sandbox's admin side refuses what it can check without the terminal's config;
    # a centre that does not check (or a compromised one) sends it anyway.
    pushed = requests.post(f"{sandbox.admin_url}/admin/fleet/terminals/{t.terminal_id}/config",
                           json={"overlay": overlay}, timeout=10,
                           headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    if pushed.status_code == 422:
        assert f"refused: {key}: " in pushed.json()["detail"]
        sent = FleetStore.beside(sandbox.store).add_directive(t.terminal_id, "config",
                                                              overlay=overlay)
    else:
        assert key == "region.hotline"  # only the terminal knows its official numbers
        sent = pushed.json()
    t.agent.beat()  # takes the signed directive, refuses it
    t.agent.beat()  # acknowledges the refusal
    row = t.register(sandbox)
    d = _directive(row, sent["id"])
    assert (d["state"], d["outcome"], d["refusal"]) == ("acknowledged", "refused", reason)
    # Never in effect: not in the running settings, not on disk, not at the next start.
    assert t.events == []
    assert _local_view(t.agent.settings) == before
    assert row["config_version"] == 0 and row["config_hash"] == before_hash
    store = OverlayStore(t.settings.data_dir)
    assert store.current() is None and not store.current_file.exists()
    restarted, _ = boot_settings(t.config, environ={})
    assert _local_view(restarted) == before
    # The terminal's reason is the one check-overlay gives for the same file.
    proc = _check(str(_file(tmp_path, name, overlay)), "--json", "--config", str(t.config))
    assert [r["reason"] for r in json.loads(proc.stdout)["refused"]] == [reason]


def test_a_terminal_applies_the_harmless_overlay(sandbox, terminals):
    t = terminals("T-ALLOW-OK")
    t.agent.beat()
    sent = sandbox.admin("POST", f"/fleet/terminals/{t.terminal_id}/config",
                         json={"overlay": HARMLESS})
    t.agent.beat()
    t.agent.beat()
    row = t.register(sandbox)
    assert _directive(row, sent["id"])["outcome"] == "applied" and row["config_version"] == 1
    assert t.agent.settings.region.hotline == "12333"
    assert t.agent.settings.display.opening_hours == tuple(HARMLESS["display"]["opening_hours"])
    assert [e[0] for e in t.events] == ["config"]


def test_kiosk_fleet_push_config_learns_of_a_refusal_before_pushing(sandbox, terminals,
                                                                      tmp_path):
    t = terminals("T-ALLOW-CLI")
    t.agent.beat()
    token = tmp_path / "token"
    token.write_text(sandbox.admin_token)
    overlay = _file(tmp_path, "player", REFUSED[0][1])
    proc = run_kiosk(["fleet", "--admin-url", sandbox.admin_url, "--token-file", str(token),
                      "push-config", t.terminal_id, str(overlay)], timeout=60)
    assert "refused: speech.player: local only" in one_line_error(proc)
    assert t.register(sandbox)["directives"] == []  # nothing was queued


def test_an_overlay_on_disk_from_before_the_allow_list_is_dropped_at_start(tmp_path):
    """A terminal upgraded with a hostile overlay already applied never runs it."""
    from tests.fleet.conftest import write_config

    config = write_config(tmp_path / "kiosk.toml", "T-ALLOW-DISK", tmp_path / "var",
                          "http://127.0.0.1:9")
    _, store = boot_settings(config, environ={})
    store.apply(4, {"speech": {"player": "sh -c 'id > /tmp/overlay-ran'"},
                    "printer": {"kind": "network", "target": "10.0.0.1:9100"}})
    store.started()  # it even reached a frame back then
    settings, store = boot_settings(config, environ={})
    assert settings.speech.player == "" and settings.printer.kind == "none"
    assert store.version == 0 and store.rolled_back_from() == 4
