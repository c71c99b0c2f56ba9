"""Regional rules the sandbox applies (docs/domain.md): lapse period, replacement time,
hotline. Read from ``Settings.region``; dates use China Standard Time (UTC+8, no DST)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.calendar_source import calendar_for
from kiosk.config import Settings
from kiosk.domain.clock import region_date

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


@dataclass(frozen=True)
class RegionalRules:
    hotline: str = "96102"
    lapse_days: int = 10
    lapse_working_days: bool = False
    replacement_working_days: int = 15
    replacement_working_days_bank: int = 35

    @classmethod
    def from_settings(cls, settings: Settings) -> RegionalRules:
        r = settings.region
        return cls(hotline=r.hotline, lapse_days=r.pre_loss_lapse_days,
                   lapse_working_days=r.pre_loss_lapse_working_days,
                   replacement_working_days=r.replacement_working_days,
                   replacement_working_days_bank=r.replacement_working_days_bank)

    def lapses_on(self, pre_lost_on: dt.date) -> dt.date:
        """The day a pre-loss made on ``pre_lost_on`` lapses unless the official loss follows."""
        return calendar_for().add_days(pre_lost_on, self.lapse_days,
                                       self.lapse_working_days).value

    def expected_on(self, applied_on: dt.date, bank_function: bool) -> dt.date:
        """When a replacement applied for on ``applied_on`` is expected to be ready."""
        days = self.replacement_working_days_bank if bank_function \
            else self.replacement_working_days
        return calendar_for().add_working_days(applied_on, days).value


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date in China for an aware UTC moment."""
    return region_date(moment, CHINA_TZ)
