"""Out of service: the central service paused this terminal (``ctl.out_of_service``).

A pause never interrupts a cardholder: the current journey goes on to its end, and only
when the session ends (whatever the reason) does the kiosk show the out-of-service step
instead of the home screen. From there no journey starts — except plain guidance when
the pause allows it, which returns to the out-of-service step when it ends. Resume goes
home. The fleet agent calls :meth:`OutOfService.pause` / :meth:`resume` (through the
dispatcher, on the owner's thread).
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.config import Settings
from kiosk.domain.alternatives import Alternative
from kiosk.services.journey import PauseContext
from kiosk.services.states import EndReason, Journey, OutOfServiceView, Step


def where_else(settings: Settings) -> tuple[str, dict[str, str]]:
    """Where else to go while paused (``fleet.alternative``): the key to show ("" =
    nothing) and, for ``site``, the site's own words by language (local config only)."""
    key = settings.fleet.alternative
    if key == Alternative.NONE:
        return "", {}
    if key != Alternative.SITE:
        return key, {}
    place = {lang: text.strip() for lang, text in (("zh_CN", settings.fleet.alternative_zh),
                                                   ("en", settings.fleet.alternative_en))
             if text.strip()}
    return (Alternative.SITE.value, place) if place else ("", {})


def out_of_service_view(settings: Settings, reason: str,
                        guidance_readable: bool) -> OutOfServiceView:
    """What the out-of-service step shows for a pause at this site, with ``settings``."""
    alternative, place = where_else(settings)
    return OutOfServiceView(reason=reason, hotline=settings.region.hotline,
                            guidance_readable=guidance_readable,
                            alternative=alternative, place=place)


class OutOfService:
    """The pause in force (``view``), or none."""

    def __init__(self, ctl: PauseContext) -> None:
        self._ctl = ctl
        self.view: OutOfServiceView | None = None

    @property
    def active(self) -> bool:
        """Whether a pause is in force."""
        return self.view is not None

    def pause(self, view: OutOfServiceView) -> None:
        """Pause at the next session boundary (now, if nobody is using the kiosk)."""
        self.view = view
        if self._ctl.state.step in (Step.HOME, Step.OUT_OF_SERVICE):
            self.show()

    def resume(self) -> None:
        """Back in service: home, if the out-of-service step is showing."""
        was, self.view = self.view, None
        if was is not None and self._ctl.state.step is Step.OUT_OF_SERVICE:
            self._ctl.end(EndReason.DONE)

    def refuses(self, journey: Journey) -> bool:
        """Whether ``journey`` may not start now."""
        return self.view is not None and not (
            journey is Journey.GUIDANCE and self.view.guidance_readable)

    def settings_changed(self, settings: Settings) -> None:
        """New settings in effect (an overlay, at an idle moment): a pause in force shows
        their hotline and alternative, at once if the out-of-service step is showing."""
        if self.view is None:
            return
        fresh = out_of_service_view(settings, self.view.reason, self.view.guidance_readable)
        self.view = replace(self.view, hotline=fresh.hotline, alternative=fresh.alternative,
                            place=fresh.place)
        if self._ctl.state.step is Step.OUT_OF_SERVICE:
            self.show()

    def show(self) -> None:
        """Publish the out-of-service step (no session is open when this is called)."""
        if self.view is not None:
            self._ctl.publish_idle(Step.OUT_OF_SERVICE, self.view)
