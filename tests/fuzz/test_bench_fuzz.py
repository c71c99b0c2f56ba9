"""``kiosk bench fuzz --seconds N`` runs the same targets for about N seconds and prints
examples per second and failures; bad arguments are one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.fixtures.cli import run_kiosk


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return run_kiosk(["bench", "fuzz", *args], os.environ)


def test_runs_for_the_time_given_and_reports_rates():
    proc = kiosk("--seconds", "3", "--target", "id_text", "--target", "apdu_chain", "--json")
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)["fuzz"]
    assert set(figures) == {"id_text", "apdu_chain"}
    for f in figures.values():
        assert f["examples"] > 0 and f["examples_per_s"] > 0 and f["failures"] == []


def test_plain_output_names_every_target():
    proc = kiosk("--seconds", "1", "--target", "serial_frames")
    assert proc.returncode == 0, proc.stderr
    assert "serial_frames" in proc.stdout and "/s" in proc.stdout and "failures 0" in proc.stdout


@pytest.mark.parametrize("args", [["--seconds", "0"], ["--seconds", "soon"],
                                  ["--target", "nothing"]])
def test_bad_arguments_are_one_line(args):
    proc = kiosk(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.startswith("kiosk")]) == 1
