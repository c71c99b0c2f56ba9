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


# --- every check at its edge, with its exact words (from the mutation run) ----------------

def _small(**changes):
    data = {"kind": "kiosk.working-day-schedule", "format": 1, "country": "CN", "year": 2030,
            "revision": 1, "status": "official", "authority": "国务院办公厅",
            "notice": "通知", "url": "https://www.gov.cn/x", "off": [], "workdays": []}
    data.update(changes)
    return data


def _error(data) -> str:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(data, "f.toml")
    assert str(info.value) == f"schedule error in f.toml: {info.value.key}: " \
                              f"{info.value.problem}"
    return f"{info.value.key}: {info.value.problem}"


D = dt.date


@pytest.mark.parametrize("data,said", [
    (_small(extra=1, zzz=2), "extra: unknown key"),
    ({k: v for k, v in _small().items() if k != "kind"}, "kind: missing"),
    (_small(kind="other"), "kind: expected 'kiosk.working-day-schedule', got 'other'"),
    (_small(format=2), "format: this kiosk reads format 1, got 2"),
    (_small(country="HK"), "country: expected 'CN', got 'HK'"),
    (_small(year=1999), "year: expected a year from 2000 to 2100, got 1999"),
    (_small(year=2101), "year: expected a year from 2000 to 2100, got 2101"),
    (_small(year=True), "year: expected a year from 2000 to 2100, got True"),
    (_small(year="2030"), "year: expected a year from 2000 to 2100, got '2030'"),
    (_small(revision=0), "revision: expected a whole number from 1, got 0"),
    (_small(revision=True), "revision: expected a whole number from 1, got True"),
    (_small(revision=1.5), "revision: expected a whole number from 1, got 1.5"),
    (_small(status="draft"), "status: expected 'official', got 'draft'"),
    (_small(authority=" "), "authority: expected non-empty text"),
    (_small(notice=3), "notice: expected non-empty text"),
    (_small(url="http://x"), "url: expected an https:// address, got 'http://x'"),
    (_small(off="x"), "off: expected a list of tables"),
    (_small(workdays=[{"date": D(2030, 1, 5)}, 3]), "workdays: expected a list of tables"),
    (_small(off=[{"from": D(2030, 1, 1), "to": D(2030, 1, 1), "why": 1, "a": 2}]),
     "off[0]: unknown key a"),
    (_small(off=[{"from": D(2030, 1, 1), "to": D(2030, 1, 1), "zz": 1}]),
     "off[0]: unknown key zz"),
    (_small(workdays=[{"date": D(2030, 1, 5), "name": "x", "zz": 1}]),
     "workdays[0]: unknown key zz"),
    (_small(workdays=[{"date": D(2030, 1, 5), "note": 1}]), "workdays[0]: unknown key note"),
    (_small(off=[{"from": dt.datetime(2030, 1, 1), "to": D(2030, 1, 1)}]),
     "off[0].from: expected a date (YYYY-MM-DD), got datetime.datetime(2030, 1, 1, 0, 0)"),
    (_small(off=[{"from": D(2029, 11, 30), "to": D(2029, 11, 30)}]),
     "off[0].from: 2029-11-30 is outside 2030"),
    (_small(off=[{"from": D(2031, 2, 1), "to": D(2031, 2, 1)}]),
     "off[0].from: 2031-02-01 is outside 2030"),
    (_small(off=[{"from": D(2030, 1, 1), "to": D(2030, 1, 16)}]),
     "off[0].to: expected a date 0 to 14 days after 2030-01-01, got datetime.date(2030, 1, 16)"),
    (_small(off=[{"from": D(2030, 1, 2), "to": D(2030, 1, 1)}]),
     "off[0].to: expected a date 0 to 14 days after 2030-01-02, got datetime.date(2030, 1, 1)"),
    (_small(off=[{"from": D(2030, 1, 1), "to": D(2030, 1, 2)},
                 {"from": D(2030, 1, 2), "to": D(2030, 1, 3)}]),
     "off[1].from: 2030-01-02 is listed twice"),
    (_small(off=[{"from": D(2030, 1, 1), "to": D(2030, 1, 3)},
                 {"from": D(2029, 12, 31), "to": D(2030, 1, 1)}]),
     "off[1].to: 2030-01-01 is listed twice"),
    (_small(workdays=[{"date": D(2030, 1, 7)}]),
     "workdays[0].date: 2030-01-07 is a weekday; a make-up day is a weekend day"),
    (_small(off=[{"from": D(2030, 1, 5), "to": D(2030, 1, 5)}],
            workdays=[{"date": D(2030, 1, 5)}]),
     "workdays[0].date: 2030-01-05 is listed twice"),
    (_small(workdays=[{"date": D(2031, 2, 1)}]), "workdays[0].date: 2031-02-01 is outside 2030"),
    (_small(workdays=[{"date": "2030-01-05"}]),
     "workdays[0].date: expected a date (YYYY-MM-DD), got '2030-01-05'"),
    # a day's name is text (it was taken as given: found by the type checker)
    (_small(off=[{"from": D(2030, 1, 1), "to": D(2030, 1, 1), "name": 5}]),
     "off[0].name: expected text, got 5"),
    (_small(workdays=[{"date": D(2030, 1, 5), "name": ["x"]}]),
     "workdays[0].name: expected text, got ['x']"),
])
def test_each_refusal_names_the_key_and_says_exactly_why(data, said):
    assert _error(data) == said


def test_the_edges_that_are_allowed():
    data = _small(year=2000, off=[{"from": D(1999, 12, 1), "to": D(1999, 12, 15),
                                   "name": "a"}],
                  workdays=[{"date": D(2001, 1, 27), "name": "b"}])  # a Saturday
    s = parse_schedule(data, "f.toml")
    assert s.year == 2000 and s.official is True
    assert s.source == "f.toml (通知, revision 1)"
    assert [r.day for r in s.rules][:2] == [D(1999, 12, 1), D(1999, 12, 2)]
    assert len(s.rules) == 15 + 1 and {r.name for r in s.rules} == {"a", "b"}
    assert all(r.source == s.source for r in s.rules)
    assert [r.working for r in s.rules] == [False] * 15 + [True]
    assert parse_schedule(_small(year=2100, revision=7), "g.toml").source == \
        "g.toml (通知, revision 7)"
    last = parse_schedule(_small(off=[{"from": D(2031, 1, 31), "to": D(2031, 1, 31)}]), "f")
    assert [r.day for r in last.rules] == [D(2031, 1, 31)]  # the year's last allowed day
    one = parse_schedule(_small(off=[{"from": D(2030, 1, 1), "to": D(2030, 1, 1)}]), "f")
    assert [(r.day, r.name) for r in one.rules] == [(D(2030, 1, 1), "")]
