"""Region time: what people read is Beijing time whatever the machine's zone is."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.domain.clock import format_time, region_date, region_now, region_zone, to_region

ROOT = Path(__file__).resolve().parents[2]
# 2026-11-30 22:51 UTC is 2026-12-01 06:51 in Beijing: the date changes too.
INSTANT = dt.datetime(2026, 11, 30, 22, 51, tzinfo=dt.UTC)


def test_utc_moment_is_shown_in_beijing_time_and_date():
    assert format_time(INSTANT) == "2026-12-01 06:51"
    assert region_date(INSTANT) == dt.date(2026, 12, 1)
    assert to_region(INSTANT).utcoffset() == dt.timedelta(hours=8)


def test_naive_is_region_wall_time_and_other_zones_convert():
    assert format_time(dt.datetime(2026, 5, 1, 9, 30)) == "2026-05-01 09:30"
    assert format_time(INSTANT, "Asia/Urumqi") == "2026-12-01 04:51"


def test_unknown_zone_is_a_value_error():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        region_zone("Mars/Base")


@pytest.mark.parametrize("machine_zone", ["UTC", "America/New_York", "Europe/Berlin"])
def test_machine_zone_does_not_matter(machine_zone):
    code = ("import datetime as dt; from kiosk.domain.clock import region_now, format_time;"
            "print(region_now(at=1796079060).isoformat());"
            "print(format_time(dt.datetime.now().astimezone()) == "
            "format_time(region_now()))")
    env = {**os.environ, "TZ": machine_zone, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    assert out == ["2026-12-01T06:51:00+08:00", "True"]
    assert region_now(at=1796079060) == INSTANT


def test_today_in_the_region_is_already_tomorrow_at_four_in_the_afternoon_utc():
    import datetime as _dt

    from kiosk.domain.clock import region_today

    instant = _dt.datetime(2026, 3, 1, 16, 0, tzinfo=_dt.UTC).timestamp()
    assert region_today(at=instant) == _dt.date(2026, 3, 2)
    assert region_today("UTC", at=instant) == _dt.date(2026, 3, 1)
