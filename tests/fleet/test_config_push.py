"""Config overlays from the centre: a valid one is applied at the next idle moment and
reported; an invalid or forbidden one is refused, reported, and the current config kept;
a start that crashes after an overlay rolls it back (real processes). What the centre may
set at all is tests/fleet/test_overlay_allow_list.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.central.sandbox.fleet_store import FleetStore
from kiosk.fleet.overlay import OverlayRefused, OverlayStore, boot_settings, validate_overlay
from kiosk.fleet.status import StatusCollector

REPO = Path(__file__).resolve().parents[2]


def _push(sandbox, terminal_id: str, overlay: dict, version: int | None = None) -> dict:
    return sandbox.admin("POST", f"/fleet/terminals/{terminal_id}/config",
                         json={"overlay": overlay, "version": version})


def _push_unchecked(sandbox, terminal_id: str, overlay: dict) -> dict:
    """A centre that does not check (or a compromised one): the directive is queued
    without the admin side's check, so only the terminal's own check stands."""
    return FleetStore.beside(sandbox.store).add_directive(terminal_id, "config",
                                                          overlay=overlay)


def _directive(row: dict, directive_id: str) -> dict:
    return next(d for d in row["directives"] if d["id"] == directive_id)


def test_valid_overlay_waits_for_idle_then_applies_and_is_reported(sandbox, terminals):
    a = terminals("T-CONF-A01")
    a.agent.beat()
    before = a.agent.report().config_hash
    a.idle[0] = False  # a cardholder is mid-journey
    sent = _push(sandbox, "T-CONF-A01", {"region": {"hotline": "12333"},
                                         "session": {"inactivity_seconds": 90}})
    assert sent["version"] == 1
    a.agent.beat()
    assert a.events == [] and a.agent.overlay.version == 0
    assert _directive(a.register(sandbox), sent["id"])["state"] == "pending"
    a.idle[0] = True
    a.agent.poke()
    a.agent.handle_inbox()
    kind, (settings, version) = a.events[0]
    assert kind == "config" and version == 1
    assert settings.region.hotline == "12333" and settings.session.inactivity_seconds == 90
    assert a.agent.settings.region.hotline == "12333"
    a.agent.beat()
    row = a.register(sandbox)
    assert row["config_version"] == 1 and row["config_hash"] != before
    assert _directive(row, sent["id"])["outcome"] == "applied"
    # The next start lays the overlay over the local config.
    settings, store = boot_settings(a.config, environ={})
    assert settings.region.hotline == "12333" and store.version == 1
    assert "overlay" in settings.sources


@pytest.mark.parametrize(("overlay", "reason"), [
    ({"region": {"hotline": "call us"}}, "not_official_hotline"),
    ({"session": {"inactivity_seconds": 5}}, "out_of_bounds"),
    ({"session": {"inactivity_seconds": 30, "warning_seconds": 40}},
     "invalid_config"),  # contradiction between keys
    ({"features": {"cancel_pre_loss": True}}, "invalid_config"),  # a medical site
    ({"printer": {"kind": "laser"}}, "local_only"),
    ({"nosuch": {"key": 1}}, "unknown_key"),
    ({"central": {"base_url": "https://evil.example"}}, "local_only"),
    ({"kiosk": {"terminal_id": "T-OTHER"}}, "local_only"),
    ({"security": {"secrets_file": "/tmp/x"}}, "local_only"),
])
def test_invalid_overlay_is_refused_reported_and_current_config_kept(
        sandbox, terminals, overlay, reason):
    a = terminals("T-CONF-A02")
    a.agent.beat()
    good = _push(sandbox, "T-CONF-A02", {"region": {"hotline": "12333"}})
    a.agent.beat()
    hash_good = a.agent.report().config_hash
    bad = _push_unchecked(sandbox, "T-CONF-A02", overlay)
    a.agent.beat()
    a.agent.beat()
    row = a.register(sandbox)
    assert _directive(row, good["id"])["outcome"] == "applied"
    refused = _directive(row, bad["id"])
    assert refused["state"] == "acknowledged"
    assert (refused["outcome"], refused["refusal"]) == ("refused", reason)
    assert row["config_version"] == 1 and row["config_hash"] == hash_good
    assert a.agent.settings.region.hotline == "12333"
    assert [e[0] for e in a.events] == ["config"]
    settings, _ = boot_settings(a.config, environ={})
    assert settings.region.hotline == "12333"


def test_an_app_that_cannot_take_the_overlay_keeps_the_old_one(sandbox, terminals):
    a = terminals("T-CONF-A03")

    def refuse(settings, version):
        raise RuntimeError("printer driver would not load")

    a.agent.hooks.on_config = refuse
    a.agent.beat()
    sent = _push(sandbox, "T-CONF-A03", {"region": {"hotline": "12333"}})
    a.agent.beat()
    a.agent.beat()
    d = _directive(a.register(sandbox), sent["id"])
    assert (d["outcome"], d["refusal"]) == ("failed", "apply_failed")
    assert a.agent.overlay.version == 0
    assert boot_settings(a.config, environ={})[0].region.hotline == "96102"


def test_older_or_superseded_versions_are_not_applied(sandbox, terminals):
    a = terminals("T-CONF-A04")
    a.agent.beat()
    a.idle[0] = False
    first = _push(sandbox, "T-CONF-A04", {"session": {"inactivity_seconds": 40}})
    second = _push(sandbox, "T-CONF-A04", {"session": {"inactivity_seconds": 50}})
    a.agent.beat()
    a.idle[0] = True
    a.agent.handle_inbox()
    a.agent.beat()
    row = a.register(sandbox)
    assert _directive(row, first["id"])["refusal"] == "superseded"
    assert _directive(row, second["id"])["outcome"] == "applied"
    assert [e[1][1] for e in a.events] == [2]
    stale = _push(sandbox, "T-CONF-A04", {"session": {"inactivity_seconds": 60}}, version=1)
    a.agent.beat()
    a.agent.beat()
    assert _directive(a.register(sandbox), stale["id"])["refusal"] == "stale_version"
    assert a.agent.settings.session.inactivity_seconds == 50


CHILD = """
import sys
from kiosk.fleet.overlay import boot_settings
settings, store = boot_settings(sys.argv[1], environ={})
print(settings.region.hotline, store.version, flush=True)
if settings.region.hotline == "96102" and store.version:  # this one "breaks" the app
    raise SystemExit(3)
store.started()   # first frame drawn
"""


def _start(config: Path) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(config)], capture_output=True,
                          text=True, timeout=60, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    return proc.returncode, proc.stdout.strip()


def test_a_crash_after_a_bad_overlay_rolls_back_to_the_last_good(sandbox, terminals):
    a = terminals("T-CONF-A05")
    a.agent.beat()
    _push(sandbox, "T-CONF-A05", {"region": {"hotline": "12333"}})
    a.agent.beat()  # applied live
    assert _start(a.config) == (0, "12333 1")  # a start reaches its frame: v1 is good
    # The centre pushes an overlay that validates but makes the app crash at start.
    bad = _push(sandbox, "T-CONF-A05", {"region": {"hotline": "96102"}})
    a.agent.beat()  # applied live; the running app takes it
    assert a.agent.overlay.version == 2
    assert _start(a.config) == (3, "96102 2")  # the next start with it crashes
    assert _start(a.config) == (0, "12333 1")  # the one after rolls back and runs
    assert _start(a.config) == (0, "12333 1")
    store = OverlayStore(a.settings.data_dir)
    assert store.rolled_back_from() == 2 and store.version == 1
    a.agent.beat()
    row = a.register(sandbox)
    assert row["config_version"] == 1 and row["rolled_back_from"] == 2
    assert _directive(row, bad["id"])["state"] == "acknowledged"


def test_rollback_without_any_good_overlay_falls_back_to_the_local_config(tmp_path):
    from tests.fleet.conftest import write_config

    config = write_config(tmp_path / "kiosk.toml", "T-CONF-L01", tmp_path / "var",
                          "http://127.0.0.1:9")
    settings, store = boot_settings(config, environ={})
    store.apply(1, {"region": {"hotline": "96102"}})
    assert _start(config) == (3, "96102 1")
    assert _start(config) == (0, "96102 0")
    assert json.loads((store.dir / "rollback.json").read_text()) == {"from": 1}
    assert store.current() is None
    del settings


def test_an_overlay_the_local_config_no_longer_accepts_is_dropped_at_boot(tmp_path):
    from tests.fleet.conftest import write_config

    config = write_config(tmp_path / "kiosk.toml", "T-CONF-L02", tmp_path / "var",
                          "http://127.0.0.1:9")
    _, store = boot_settings(config, environ={})
    store.apply(1, {"features": {"cancel_pre_loss": True}})  # fine at an outlet...
    store.started()
    settings, store = boot_settings(config, environ={})  # ...but this is a medical site
    assert settings.features.cancel_pre_loss is False and store.version == 0


def test_validate_overlay_names_the_key(tmp_path):
    from tests.fleet.conftest import write_config

    config = write_config(tmp_path / "kiosk.toml", "T-CONF-L03", tmp_path / "var",
                          "http://127.0.0.1:9")
    with pytest.raises(OverlayRefused) as err:
        validate_overlay({"region": {"hotline": "x"}}, config, {})
    assert "region.hotline" in str(err.value) and err.value.reason == "not_official_hotline"
    with pytest.raises(OverlayRefused) as err:
        validate_overlay({"session": {"inactivity_seconds": 30, "warning_seconds": 40}},
                         config, {})
    assert "session.warning_seconds" in str(err.value) and err.value.reason == "invalid_config"
    assert StatusCollector  # the status module imports without the app


def test_an_invalid_newer_overlay_does_not_supersede_a_valid_one(sandbox, terminals):
    a = terminals("T-CONF-A06")
    a.agent.beat()
    good = _push(sandbox, "T-CONF-A06", {"region": {"hotline": "12333"}})
    bad = _push_unchecked(sandbox, "T-CONF-A06",
                          {"central": {"base_url": "https://evil.example"}})
    a.agent.beat()
    a.agent.beat()
    row = a.register(sandbox)
    assert _directive(row, good["id"])["outcome"] == "applied"
    assert _directive(row, bad["id"])["refusal"] == "local_only"
    assert row["config_version"] == 1 and a.agent.settings.region.hotline == "12333"
