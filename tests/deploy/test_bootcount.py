"""The crash-loop rollback's bookkeeping (kiosk/deploy/bootcount.py) on a scratch tree:
the trial window, the count, the switch back to the kept release."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.deploy.bootcount import check, main, on_trial
from kiosk.deploy.layout import PROBATION_MAX_STARTS, PROBATION_S, Layout


def upgraded(tmp: Path) -> Layout:
    """releases/b current, on trial since t=0, kept/a the release before."""
    lay = Layout(tmp)
    lay.version_dir("b").mkdir(parents=True)
    lay.kept_dir("a").mkdir(parents=True)
    lay.switch("releases/b")
    lay.probation.write_text(json.dumps({"version": "b", "previous": "kept/a", "since": 0}))
    return lay


def test_probation_ends_after_the_window(tmp_path: Path):
    lay = upgraded(tmp_path)
    assert on_trial(lay, now=10) and not on_trial(lay, now=PROBATION_S + 1)
    lay.switch("kept/a")        # another release is current: not on trial
    assert not on_trial(lay, now=10)
    lay.switch("releases/b")
    assert "trusted" in check(lay, now=PROBATION_S + 1)
    assert lay.current_target() == "releases/b" and not lay.probation.exists()


def test_the_start_after_the_limit_goes_back_to_the_kept_release(tmp_path: Path):
    lay = upgraded(tmp_path)
    for n in range(1, PROBATION_MAX_STARTS + 1):
        assert check(lay, now=1) == f"b start {n} in probation"
    assert check(lay, now=1).startswith("rolled back from b to a (kept/a)")
    assert lay.current_target() == "kept/a" and not lay.probation.exists()
    assert check(lay, now=2) == "no probation"


def test_no_kept_release_no_rollback(tmp_path: Path):
    lay = upgraded(tmp_path)
    (lay.kept_dir("a")).rmdir()
    for _ in range(PROBATION_MAX_STARTS + 2):
        check(lay, now=1)
    assert lay.current_target() == "releases/b"   # nowhere to go: it keeps trying


def test_an_unreadable_probation_file_is_no_trial(tmp_path: Path, capsys):
    lay = upgraded(tmp_path)
    lay.probation.write_text("{not json")
    assert not on_trial(lay) and lay.probation.exists()   # read-only: check() removes it
    assert main(["check", "--root", str(tmp_path)]) == 0   # never blocks the start
    assert "unreadable: removed" in capsys.readouterr().err and not lay.probation.exists()
