"""``kiosk bench speech`` and ``kiosk bench diagnostics`` run end to end (smoke, not timed)."""

from __future__ import annotations

import argparse
import json

from kiosk.bench import diagnostics, speech


def test_bench_speech_prints_figures(capsys):
    assert speech.run(argparse.Namespace(runs=1, json=True, config=None)) == 0
    figures = json.loads(capsys.readouterr().out)["speech"]
    assert figures["zh_CN/cmn-latn-pinyin"]["english_switches"] == 0
    assert figures["zh_CN/cmn"]["english_switches"] > 0
    assert figures["en/en-us"]["audio_s"] > 1


def test_bench_diagnostics_prints_figures(capsys, pcscd_alive):
    assert diagnostics.run(argparse.Namespace(runs=1, json=True, config=None)) == 0
    figures = json.loads(capsys.readouterr().out)["diagnostics"]
    assert set(figures["check_median_ms"]) == set(diagnostics.PARTS)
    assert figures["statuses"]["central"] == "ok"
    assert figures["cli_exit_code"] in (0, 1)
