"""Replacement progress: timeline, expected date in working days, where, what to bring."""

from __future__ import annotations

from kiosk.services.states import State, StatusView
from kiosk.ui.journeys.base import JourneyScreen, fmt_date, set_label, set_text, view_of
from kiosk.ui.journeys.widgets import Panel, RowPool
from kiosk.ui.screen_base import load_kv

MARKS = {"done": "✓", "current": "●", "todo": "○"}


class StageRow(Panel):
    """One stage of the timeline."""


class CardLine(Panel):
    """One of the holder's cards and what its state means."""


class StatusProgressScreen(JourneyScreen):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._stages = RowPool(self.ids.timeline, StageRow)
        self._cards = RowPool(self.ids.cards, CardLine)

    def show(self, state: State) -> None:
        v = view_of(state, StatusView)
        set_label(self.ids.holder, "journeys.status.holder", name=v.holder_masked)
        for row, line in zip(self._cards.rows(len(v.cards)), v.cards, strict=True):
            set_text(row.ids.number, line.card_number_masked)
            set_label(row.ids.advice, line.advice_key)
        for row, entry in zip(self._stages.rows(len(v.timeline)), v.timeline, strict=True):
            mark = "done" if entry.done else "current" if entry.current else "todo"
            set_text(row.ids.mark, MARKS[mark])
            set_label(row.ids.stage, entry.label_key)
            set_text(row.ids.date, fmt_date(entry.on))
            row.tone_bg = "primary_bg" if entry.current else "surface"
            row.ids.stage.tone = row.ids.mark.tone = row.ids.date.tone = \
                "primary_text" if entry.current else "surface_text"
        has = v.has_replacement
        set_label(self.ids.none, "" if has else "journeys.status.no_replacement")
        expected = "journeys.status.expected_about" if v.expected_estimate \
            else "journeys.status.expected"
        set_label(self.ids.expected, expected if has and v.expected_on
                  and v.stage in ("applied", "in_production") else "",
                  date=fmt_date(v.expected_on), days=v.working_days)
        set_label(self.ids.outlet, "journeys.status.outlet" if has and v.outlet
                  and not v.mailed else "", outlet=v.outlet)
        set_label(self.ids.ready, "journeys.status.ready_since" if v.ready_since
                  and v.stage == "ready_for_pickup" else "", date=fmt_date(v.ready_since))
        set_label(self.ids.tracking, "journeys.status.tracking" if v.tracking_number else "",
                  tracking=v.tracking_number)
        set_label(self.ids.next, v.next_key)
        collect = has and v.stage in ("applied", "in_production", "ready_for_pickup")
        # An empty label takes no height: the block closes up when it does not apply.
        for name in ("bring_title", "bring1", "bring2", "voucher"):
            set_label(self.ids[name], f"journeys.status.{name}" if collect else "")

    def clear(self) -> None:
        self._stages.wipe()
        self._cards.wipe()

    def finish(self) -> None:
        self.ctl.end()


load_kv(__file__)
