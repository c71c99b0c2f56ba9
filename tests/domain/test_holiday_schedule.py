"""The official schedule file: accepted when whole, refused with one line naming the key."""

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from kiosk.domain.holiday_schedule import ScheduleError, parse_schedule

FILE = Path(__file__).resolve().parents[2] / "config" / "holidays" / "cn-2026.toml"


def _data():
    with FILE.open("rb") as fh:
        return tomllib.load(fh)


def test_the_2026_file_parses_as_official_with_its_notice():
    s = parse_schedule(_data(), "cn-2026.toml")
    assert s.year == 2026 and s.official
    assert "国务院办公厅关于2026年部分节假日安排的通知" in s.source
    working = {r.day for r in s.rules if r.working}
    assert working == {dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28),
                       dt.date(2026, 5, 9), dt.date(2026, 9, 20), dt.date(2026, 10, 10)}
    assert sum(not r.working for r in s.rules) == 3 + 9 + 3 + 5 + 3 + 3 + 7


@pytest.mark.parametrize("change, key, problem", [
    (lambda d: d.pop("url"), "url", "missing"),
    (lambda d: d.update(extra=1), "extra", "unknown key"),
    (lambda d: d.update(format=2), "format", "reads format 1"),
    (lambda d: d.update(status="draft"), "status", "expected 'official'"),
    (lambda d: d.update(revision=0), "revision", "from 1"),
    (lambda d: d.update(url="http://x"), "url", "https://"),
    (lambda d: d["workdays"].append({"date": dt.date(2026, 10, 12)}), "workdays[6].date",
     "is a weekday"),
    (lambda d: d["workdays"].append({"date": dt.date(2026, 10, 3)}), "workdays[6].date",
     "listed twice"),
    (lambda d: d["off"].append({"from": dt.date(2028, 1, 1), "to": dt.date(2028, 1, 1)}),
     "off[7].from", "outside 2026"),
    (lambda d: d["off"].append({"from": dt.date(2026, 12, 1), "to": dt.date(2026, 11, 1)}),
     "off[7].to", "0 to 14 days"),
    (lambda d: d["off"].append({"from": "2026-12-01", "to": dt.date(2026, 12, 1)}),
     "off[7].from", "expected a date"),
    (lambda d: d.update(off={"x": 1}), "off", "list of tables"),
])
def test_bad_files_are_refused_in_one_line(change, key, problem):
    data = _data()
    change(data)
    with pytest.raises(ScheduleError) as info:
        parse_schedule(data, "cn-2026.toml")
    text = str(info.value)
    assert "\n" not in text and text.startswith("schedule error in cn-2026.toml: ")
    assert info.value.key == key and problem in text
