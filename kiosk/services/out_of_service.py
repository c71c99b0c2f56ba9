"""Out of service (``ctl.out_of_service``): the centre paused this terminal, or revoked
its key.

**A pause** (a fleet directive) never interrupts a cardholder: the current journey goes
on to its end, and only when the session ends (whatever the reason) does the kiosk show
the out-of-service step instead of the home screen. From there no journey starts —
except plain guidance when the pause allows it, which returns to the out-of-service step
when it ends. Resume goes home. The fleet agent calls :meth:`OutOfService.pause` /
:meth:`resume` (through the dispatcher, on the owner's thread).

**A revoked key** (the centre answered ``terminal_revoked``, signed with this terminal's
key: a stolen or retired terminal) means nothing can be done here any more: the session
ends at once (a finished journey's result screen stays until it is left) and the
out-of-service step shows, with the hotline, not a failure screen. No journey starts,
not even guidance (the terminal may be in the wrong hands). It lasts until a call to the
centre succeeds again (the centre reinstated the key, or a technician gave the terminal a
new one): :meth:`revoked` / :meth:`reinstated`, called by the client's revocation
listener (``CentralClient.on_revocation``, wired in kiosk/composition/parts.py) and by the
controller when a journey's call is refused so.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.config import Settings
from kiosk.domain.alternatives import Alternative
from kiosk.logs import get_logger
from kiosk.services.journey import PauseContext
from kiosk.services.states import EndReason, Journey, OutOfServiceView, Step

log = get_logger("kiosk.services.out_of_service")
REVOKED = "terminal_revoked"  # the view's reason: words fleet.reason.terminal_revoked
# A journey's result stays on screen until it is left (what was done is shown, printed).
RESULT_STEPS = frozenset({Step.PRE_LOSS_DONE, Step.PRE_LOSS_PENDING, Step.CANCEL_DONE})


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
    """The pause in force (``view``) and the revocation (``revoked_view``), or none."""

    def __init__(self, ctl: PauseContext) -> None:
        self._ctl = ctl
        self.view: OutOfServiceView | None = None
        self.revoked_view: OutOfServiceView | None = None

    @property
    def active(self) -> bool:
        """Whether a pause or a revocation is in force."""
        return self.view is not None or self.revoked_view is not None

    def pause(self, view: OutOfServiceView) -> None:
        """Pause at the next session boundary (now, if nobody is using the kiosk)."""
        self.view = view
        if self._ctl.state.step in (Step.HOME, Step.OUT_OF_SERVICE):
            self.show()

    def resume(self) -> None:
        """Back in service: home, if the out-of-service step is showing (a revoked key
        stays out of service: a resume does not reinstate it)."""
        was, self.view = self.view, None
        if was is not None and self.revoked_view is None \
                and self._ctl.state.step is Step.OUT_OF_SERVICE:
            self._ctl.end(EndReason.DONE)

    def revoked(self, settings: Settings) -> None:
        """The centre revoked this terminal's key: out of service now (see the module)."""
        if self.revoked_view is None:
            log.error("terminal key revoked by the centre: out of service", extra={
                "fields": {"action": "give the terminal a new key, or reinstate it"}})
        self.revoked_view = out_of_service_view(settings, REVOKED, guidance_readable=False)
        step = self._ctl.state.step
        if step in (Step.HOME, Step.OUT_OF_SERVICE):
            self.show()
        elif step not in RESULT_STEPS:
            self._ctl.end(EndReason.OUT_OF_SERVICE)  # the boundary shows this step

    def reinstated(self) -> None:
        """A call to the centre succeeded: the key is good again."""
        if self.revoked_view is None:
            return
        self.revoked_view = None
        log.info("terminal key accepted again: back in service")
        if self._ctl.state.step is Step.OUT_OF_SERVICE:
            if self.view is not None:
                self.show()  # still paused by the centre
            else:
                self._ctl.end(EndReason.DONE)

    def refuses(self, journey: Journey) -> bool:
        """Whether ``journey`` may not start now."""
        if self.revoked_view is not None:
            return True
        return self.view is not None and not (
            journey is Journey.GUIDANCE and self.view.guidance_readable)

    def settings_changed(self, settings: Settings) -> None:
        """New settings in effect (an overlay, at an idle moment): a pause in force shows
        their hotline and alternative, at once if the out-of-service step is showing."""
        if self.revoked_view is not None:
            self.revoked_view = out_of_service_view(settings, REVOKED, False)
        if self.view is None:
            if self.revoked_view is not None and self._ctl.state.step is Step.OUT_OF_SERVICE:
                self.show()
            return
        fresh = out_of_service_view(settings, self.view.reason, self.view.guidance_readable)
        self.view = replace(self.view, hotline=fresh.hotline, alternative=fresh.alternative,
                            place=fresh.place)
        if self._ctl.state.step is Step.OUT_OF_SERVICE:
            self.show()

    def show(self) -> None:
        """Publish the out-of-service step (no session is open when this is called); a
        revocation goes before a pause."""
        view = self.revoked_view or self.view
        if view is not None:
            self._ctl.publish_idle(Step.OUT_OF_SERVICE, view)
