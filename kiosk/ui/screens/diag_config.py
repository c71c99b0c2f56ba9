"""Configuration in effect (secret-like values hidden; the secrets file is never shown),
in pages rather than a list to scroll. Paths under the data directory are shown
relative to it (``<data>/...``) and the repo's own config files by their repo path, so
no install-specific absolute path is on the screen."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.config import REPO_ROOT, Settings
from kiosk.services.diagnostics.tools import config_lines
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen
from kiosk.ui.widgets.pager import Pages, per_page

DATA_MARK = "<data>"


def shown_lines(settings: Settings) -> list[str]:
    """:func:`config_lines` with absolute paths under the data dir (and the repo) made
    relative: ``<data>/outbox`` rather than ``/var/lib/kiosk/outbox``."""
    bases = [(str(settings.data_dir), DATA_MARK), (str(REPO_ROOT), "")]
    out = []
    for line in config_lines(settings):
        for base, mark in bases:
            if base and base != "/":
                line = line.replace(base + "/", f"{mark}/" if mark else "")
                line = line.replace(base, mark or ".")
        out.append(line)
    return out


class DiagConfigScreen(DiagScreen):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._lines: list[str] = []
        self._pages = Pages()
        self.ids.pager.on_turn = self._turn
        self.app.bind(large_text=lambda *_: self._show() if self._lines else None)

    def reset(self) -> None:
        self._lines, self._pages.page = [], 0
        self.ids.lines.text = ""

    def refresh(self) -> None:
        self._lines, self._pages.page = shown_lines(self.app.settings), 0
        self._show()

    def _show(self) -> None:
        self._pages.total = len(self._lines)
        self._pages.per_page = per_page(self.app, normal=16, large=11)
        self.ids.lines.text = "\n".join(self._lines[i] for i in self._pages.window())
        self.ids.pager.show(self._pages.page, self._pages.count)

    def _turn(self, delta: int) -> None:
        if self._pages.turn(delta):
            self._show()

    def tour_states(self) -> dict[str, Callable[[], None]]:
        return {"default": self.refresh}


load_kv(__file__)
