"""The visual tour: every registered screen, in each of its tour states, in every
language, plus large-text and high-contrast samples — one PNG each.

What is shot is data: each screen's ``tour_states()`` (name → callable that puts the
shown screen in that state) and :data:`APP_STATES` for things that are not a screen
(the inactivity warning). :func:`plan` lists the shots; :func:`run_tour` takes them.
Each shot is also checked, on the widget tree at the moment of the shot
(:mod:`kiosk.ui.tour_checks`): anything drawn over text or a button, text outside its
box or its screen's content area, placeholders left unformatted, untranslated ``[keys]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.core.window import Window
from kivy.uix.label import Label

from kiosk.i18n import LANGUAGES
from kiosk.services.states import EndReason
from kiosk.ui.routes import ROUTES, enabled_routes
from kiosk.ui.tour_checks import shot_problems
from kiosk.ui.widgets.pager import PagerBar

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp
    from kiosk.ui.driver import AppDriver
    from kiosk.ui.screen_manager import KioskScreenManager


def _manager(app: KioskApp) -> KioskScreenManager:
    """The app's screen manager (the tour runs on a built app)."""
    if app.sm is None:
        raise RuntimeError("the tour runs on a built app")
    return app.sm


def _inactivity_warning(app: KioskApp) -> None:
    app.go("placeholder", title_key="attract.pre_loss")
    app.overlay.seconds = app.settings.session.warning_seconds
    app.overlay.show()


def _staff_call(phase: str) -> Callable[[KioskApp], None]:
    """The staff call panel (一键呼叫) in ``phase``, over an in-session screen."""
    def show(app: KioskApp) -> None:
        # lazy: the staff call's module loads metrics; the tour needs it only here
        from kiosk.services.staff_call import HelpPhase, HelpStatus

        app.go("placeholder", title_key="attract.pre_loss")
        app.help_overlay.show_status(HelpStatus(HelpPhase(phase), "placeholder",
                                                dt.datetime(2026, 12, 1, 6, 5, tzinfo=dt.UTC)))
    return show


# Tour states that are not one screen's: name → callable(app).
APP_STATES: dict[str, Callable[[KioskApp], None]] = {
    "inactivity-warning": _inactivity_warning,
    **{f"staff-call-{phase}": _staff_call(phase)
       for phase in ("sending", "waiting", "coming", "unanswered", "unreachable")},
}
# Samples also shot in high contrast (screen, state); every state is shot in large text.
# A paged screen is shot page by page, up to this many (more is a problem: say less).
MAX_PAGES = 8
MODE_SAMPLES: tuple[tuple[str, str], ...] = (
    ("attract", "default"), ("message", "error"), ("app", "inactivity-warning"),
    ("app", "staff-call-waiting"))
# Samples shot with the accessibility keypad's focus ring (non-visual mode), in each
# language and once more in high contrast; every cardholder screen's first state is
# also shot in the low-reach layout ("accessible height").
FOCUS_SAMPLES: tuple[tuple[str, str], ...] = (
    ("attract", "default"), ("pre_loss_cards", "mixed"), ("cancel_pin", "default"),
    ("identify_keypad", "default"), ("app", "staff-call-coming"))


@dataclass(frozen=True)
class Shot:
    screen: str           # a screen name, or "app" for APP_STATES
    state: str
    lang: str
    large_text: bool = False
    high_contrast: bool = False
    page: int = 1         # a paged screen's later pages are shots of their own
    low_reach: bool = False  # the "accessible height" layout: all in the lower half
    focus: bool = False   # non-visual mode: the keypad's focus ring on the first element


    @property
    def filename(self) -> str:
        mode = ("-large" if self.large_text else "") + ("-contrast" if self.high_contrast else "")
        mode += ("-low" if self.low_reach else "") + ("-focus" if self.focus else "")
        page = f"-p{self.page}" if self.page > 1 else ""
        return f"{self.screen}-{self.state}{page}-{self.lang}{mode}.png"


def plan(app: KioskApp, languages: tuple[str, ...] = LANGUAGES,
         screens: list[str] | None = None) -> list[Shot]:
    """All shots, in order: per language, every screen state, then the app states and
    the mode samples."""
    # A journey this site does not offer (e.g. cancelling at a medical site) is not shown.
    enabled = {r.screen for r in enabled_routes(app.settings)}
    hidden = {r.screen for r in ROUTES} - enabled
    shots: list[Shot] = []
    for lang in languages:
        for screen in _manager(app).screens:
            if (screens and screen.name not in screens) or screen.name in hidden:
                continue
            shots += [Shot(screen.name, state, lang) for state in screen.tour_states()]
        if not screens or "app" in screens:
            shots += [Shot("app", state, lang) for state in APP_STATES]
        # Every screen state again in large text: nothing may need scrolling there either.
        shots += [replace(s, large_text=True) for s in shots if s.lang == lang
                  and not s.large_text and not s.high_contrast]
        for name, state in MODE_SAMPLES:
            if screens and name not in screens:
                continue
            shots.append(Shot(name, state, lang, high_contrast=True))
        shots += _access_shots(app, lang, screens, hidden)
    return shots


def _access_shots(app: KioskApp, lang: str, screens: list[str] | None,
                  hidden: set[str]) -> list[Shot]:
    """The focus ring samples, and every cardholder screen's first state low."""
    shots = []
    for name, state in FOCUS_SAMPLES:
        if not screens or name in screens:
            shots.append(Shot(name, state, lang, focus=True))
            if name == "attract":
                shots.append(Shot(name, state, lang, focus=True, high_contrast=True))
    for screen in _manager(app).screens:
        if (screens and screen.name not in screens) or screen.name in hidden \
                or screen.name.startswith("diag_"):
            continue
        first = next(iter(screen.tour_states()))
        shots.append(Shot(screen.name, first, lang, low_reach=True))
    if not screens or "app" in screens:
        shots.append(Shot("app", "staff-call-waiting", lang, low_reach=True))
    return shots


def stage(app: KioskApp, shot: Shot) -> None:
    """Put the app in the shot's state (fresh session first)."""
    app.end_session(EndReason.RESET)
    app.set_language(shot.lang)
    app.large_text = shot.large_text
    app.high_contrast = shot.high_contrast
    app.low_reach = shot.low_reach
    if shot.screen == "app":
        APP_STATES[shot.state](app)
    else:
        if shot.screen != "attract":
            app.go(shot.screen)
        _manager(app).get_screen(shot.screen).tour_states()[shot.state]()
    if shot.focus:
        app.nonvisual = True  # the first key's effect: the ring on the first element


def layout_problems(driver: AppDriver) -> list[str]:
    """The problems of what is on screen now (:mod:`kiosk.ui.tour_checks`): placeholders
    left unformatted, untranslated keys, text outside its box, anything drawn over text
    or a button, text outside the content area or off the window, text to scroll to."""
    screen = _manager(driver.app).current_screen
    content = getattr(getattr(screen, "frame", None), "ids", {}).get("content")
    box = None
    if content is not None:
        x0, y0 = content.to_window(content.x, content.y)
        box = (x0 - 1, y0 - 1, x0 + content.width + 1, y0 + content.height + 1)
    return shot_problems(driver, box, content) + low_reach_problems(driver)


def low_reach_problems(driver: AppDriver) -> list[str]:
    """In the low-reach layout: any text or picture above the lower half."""
    if not getattr(driver.app, "low_reach", False):
        return []
    problems = []
    for w in driver.walk():
        drawn = isinstance(w, Label) and w.text or getattr(w, "texture", None) is not None
        if not drawn or not driver.is_visible(w):
            continue
        if w.to_window(w.x, w.top)[1] > Window.height / 2 + 1:
            what = repr(w.text[:30]) if isinstance(w, Label) else f"a {type(w).__name__}"
            problems.append(f"above the lower half (low reach): {what}")
    return problems


def _next_page(app: KioskApp) -> bool:
    """Turn the shown screen's first pager that has a next page; False when none has."""
    for w in _manager(app).current_screen.walk(restrict=True):
        if isinstance(w, PagerBar) and w.page < w.count - 1:
            w.turn(1)
            return True
    return False


def run_tour(driver: AppDriver, out: Path, shots: list[Shot]) -> dict[str, list[str]]:
    """Shoot every shot into ``out``; return {filename: problems} (errors included)."""
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[str]] = {}
    for shot in shots:
        try:
            stage(driver.app, shot)
            for page in range(1, MAX_PAGES + 1):
                this = replace(shot, page=page)
                driver.pump_frames(6)  # live rows (diagnostics) settle, pages re-cut
                results[this.filename] = layout_problems(driver)
                driver.screenshot(out / this.filename)
                if not _next_page(driver.app):
                    break
            else:
                results[shot.filename].append(f"more than {MAX_PAGES} pages")
        except Exception as exc:  # one broken state must not hide the others
            results[shot.filename] = [f"error: {type(exc).__name__}: {exc}"]
    driver.app.end_session(EndReason.RESET)
    return results
