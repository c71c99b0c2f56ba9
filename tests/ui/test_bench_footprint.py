"""``kiosk bench footprint --json`` as a user runs it: its own Xvfb, a sandbox in another
process, a bare Kivy window and the production kiosk; PSS of each, the ratio, idle CPU;
the sandbox's web stack is not in the kiosk's process."""

from __future__ import annotations

import json
import os

from kiosk.bench.footprint import pss_mib
from tests.fixtures.cli import run_kiosk


def test_pss_of_this_process_is_read_from_smaps_rollup() -> None:
    assert 5 < pss_mib(os.getpid()) < 4096
    assert pss_mib(2**22 + 12345) == 0  # gone or never there: counts nothing


def test_bench_footprint_prints_the_figures_in_one_json_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KIOSK__", "KIVY", "KCFG_")) and k != "DISPLAY"}
    env["KIOSK_BENCH_IDLE_SECONDS"] = "1"  # the figure needs 20 s; the test needs the shape
    proc = run_kiosk(["bench", "footprint", "--json"], env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1 = a goal missed
    fig = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"kiosk_pss_mib", "bare_kivy_pss_mib", "ratio", "idle_cpu_pct"} <= set(fig)
    assert 20 < fig["bare_kivy_pss_mib"] < fig["kiosk_pss_mib"] < 2048
    assert abs(fig["ratio"] - fig["kiosk_pss_mib"] / fig["bare_kivy_pss_mib"]) < 0.01
    # The floor: the same bare window with requests, pyscard and sqlite3 imported.
    assert fig["bare_kivy_pss_mib"] < fig["floor_pss_mib"] < fig["kiosk_pss_mib"]
    assert abs(fig["floor_ratio"] - fig["floor_pss_mib"] / fig["bare_kivy_pss_mib"]) < 0.01
    assert fig["floor_libs"] == ["requests", "smartcard.System", "smartcard.CardConnection",
                                 "sqlite3"]
    assert fig["kiosk_demo"] is False and fig["kiosk_screen"] == "attract"
    assert fig["web_stack_in_kiosk"] == []
    # What the start screen leaves for later: printing, sealing and bundle libraries, the
    # inactivity warning, and every font face but one per size it shows (28, 40, 52).
    assert fig["kiosk_lazy_loaded"] == []
    assert fig["kiosk_overlay_built"] is False
    assert fig["bare_kivy_font_faces"] == 1 and fig["kiosk_font_faces"] == 3
    # The bare window borrows only the kiosk's settings, font registration and sizes.
    bare = fig["bare_kivy_kiosk_modules"]
    assert {m for m in bare if m.startswith("kiosk.ui")} == {
        "kiosk.ui", "kiosk.ui.fonts", "kiosk.ui.kivy_env", "kiosk.ui.theme"}
    assert not [m for m in bare if m.startswith(("kiosk.central", "kiosk.devices",
                                                  "kiosk.services", "kiosk.fleet"))]
    assert 0 < fig["bare_kivy_pss_anon_mib"] < fig["kiosk_pss_anon_mib"] <= fig["kiosk_pss_mib"]
    assert 0 <= fig["idle_cpu_pct"] < 100
