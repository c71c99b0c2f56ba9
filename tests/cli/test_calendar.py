"""``kiosk calendar`` as a subprocess: official dates, month sources, next-year check,
and one-line errors with a non-zero exit for bad input."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.cli import REPO, clean_env, one_line_error, run_kiosk

TEST_2027 = """
kind = "kiosk.working-day-schedule"
format = 1
country = "CN"
year = 2027
revision = 1
status = "official"
authority = "test"
notice = "test notice"
url = "https://example.invalid/2027"
off = [{ from = 2027-03-01, to = 2027-03-03, name = "test" }]
workdays = [{ date = 2027-03-06, name = "test make-up" }]
"""


def kiosk(*args: str) -> subprocess.CompletedProcess:
    return run_kiosk(["calendar", *args], clean_env(TZ="UTC"))


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the shipped config whose holidays/ the test can change."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config"


@pytest.mark.parametrize("start, days, printed", [
    ("2026-09-28", "15", "2026-10-23"),  # National Day; Saturday 10-10 worked
    ("2026-02-10", "15", "2026-03-09"),  # Spring Festival; Saturdays 02-14, 02-28 worked
    ("2026-03-02", "0", "2026-03-02"),
])
def test_add_working_days_official(start, days, printed):
    proc = kiosk("add-working-days", start, days)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == printed


def test_add_working_days_into_an_unknown_year_is_about():
    proc = kiosk("add-working-days", "2026-12-20", "15")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("about 2027-01-11 (estimate: ")


def test_month_shows_each_day_and_where_it_came_from():
    out = kiosk("month", "2026-10").stdout.splitlines()
    assert out[0].startswith("2026-10: official (config/holidays/cn-2026.toml (国务院办公厅")
    assert len(out) == 9  # header, 10-01 … 10-07 off, 10-10 worked
    assert out[8].split() == ["2026-10-10", "Sat", "make-up", "workday", "国庆节调休",
                              "[config/holidays/cn-2026.toml]"]
    assert "day off" in out[1] and "国庆节" in out[1]
    later = kiosk("month", "2027-02").stdout
    assert later.startswith("2027-02: ESTIMATE (holidays ") and "春节" in later


@pytest.mark.parametrize("today, code, words", [
    ("2026-11-30", 0, "no official schedule yet"),
    ("2026-12-01", 1, "MISSING"),
    ("2025-12-15", 0, "2026: official schedule present"),
])
def test_check_next_year(today, code, words):
    proc = kiosk("check", "--today", today)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert words in proc.stdout


def test_check_passes_once_next_years_file_is_added(config_dir):
    (config_dir / "holidays" / "cn-2027.toml").write_text(TEST_2027, encoding="utf-8")
    proc = kiosk("check", "--today", "2026-12-01", "--config", str(config_dir / "kiosk.toml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2027: official schedule present" in proc.stdout
    proc = kiosk("add-working-days", "2027-02-26", "3", "--config",
                 str(config_dir / "kiosk.toml"))
    assert proc.stdout.strip() == "2027-03-06"


def test_bad_schedule_file_is_one_line(config_dir):
    (config_dir / "holidays" / "cn-2027.toml").write_text(
        TEST_2027.replace('status = "official"', 'status = "draft"'), encoding="utf-8")
    line = one_line_error(kiosk("month", "2027-03", "--config",
                                str(config_dir / "kiosk.toml")))
    assert "cn-2027.toml: status: expected 'official'" in line


@pytest.mark.parametrize("args, words", [
    (("add-working-days", "2026-13-01", "3"), "expected a date YYYY-MM-DD"),
    (("add-working-days", "2026-01-01", "-3"), "must be between 0 and"),
    (("add-working-days", "2026-01-01", "many"), "expected a whole number"),
    (("add-working-days", "2026-01-01"), "required"),
    (("month", "2026-1x"), "expected a month YYYY-MM"),
    (("check", "--today", "tomorrow"), "expected a date"),
    (("bogus",), "invalid choice"),
])
def test_bad_input_is_one_line_and_non_zero(args, words):
    assert words in one_line_error(kiosk(*args))
