"""Guidance topics: short screens of plain sentences (text in kiosk/i18n/*/guidance.toml),
and the guidance journey (:class:`GuidanceJourney`).

Each topic has ``guidance.<topic>.title``, ``.summary`` and paragraphs ``.p1`` … ``.pN``;
placeholders are filled from the region settings so a site's hotline, fee and days show.
"""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.services.journey import JourneyContext
from kiosk.services.states import GuidanceView, Journey, State, Step, View

# Topic → number of paragraphs (tests check every key exists in both languages).
TOPICS: dict[str, int] = {
    "official_loss": 6,
    "certificate": 3,
    "proxy": 4,
    "cancel_pre_loss": 4,
    "other_reasons": 6,
    "mail_delivery": 3,
    "hotline": 3,
}

# Picture for a topic, under assets/images/ (optional: the screen works without it).
IMAGES: dict[str, str] = {
    "official_loss": "guidance_outlet.png",
    "certificate": "guidance_certificate.png",
    "proxy": "guidance_proxy.png",
    "cancel_pre_loss": "guidance_two_places.png",
    "hotline": "guidance_hotline.png",
}


def topics(settings: Settings) -> tuple[str, ...]:
    """Topics shown at this site (mail delivery only where the region offers it)."""
    return tuple(t for t in TOPICS
                 if t != "mail_delivery" or settings.features.mail_delivery)


def params(settings: Settings) -> dict[str, object]:
    """Values for the placeholders in guidance and journey texts."""
    r = settings.region
    return {
        "hotline": r.hotline,
        "days": r.replacement_working_days,
        "bank_days": r.replacement_working_days_bank,
        "fee": r.replacement_fee_yuan,
        "lapse_days": r.pre_loss_lapse_days,
        "region": r.name,
    }


def paragraph_keys(topic: str) -> list[str]:
    """The i18n keys of a topic's paragraphs, in order."""
    return [f"guidance.{topic}.p{i}" for i in range(1, TOPICS[topic] + 1)]


class GuidanceJourney:
    """:class:`~kiosk.services.journey.GuidanceIntents`: the topic list and one topic;
    a topic opened from inside another journey returns there on back."""

    back_steps = frozenset({Step.GUIDANCE_TOPIC})  # the journey registry routes back here

    def __init__(self, core: JourneyContext) -> None:
        self.core = core
        self.return_to: State | None = None

    def first_step(self) -> tuple[Step, View]:
        """Where the journey begins: the topic list."""
        return Step.GUIDANCE_INDEX, self.view()

    def view(self, topic: str = "") -> GuidanceView:
        """The index (no ``topic``) or one topic, with the site's values filled in."""
        settings = self.core.settings
        return GuidanceView(topics(settings), topic, params(settings))

    def open_topic(self, topic: str) -> None:
        """Open a guidance topic; from inside another journey, back returns there."""
        if topic not in topics(self.core.settings):
            return
        if self.core.state.journey != Journey.GUIDANCE and self.return_to is None:
            self.return_to = self.core.state
        self.core.publish(Step.GUIDANCE_TOPIC, self.view(topic))

    def back(self) -> None:
        """Back from a topic: where it was opened from, else the index."""
        if self.return_to is not None:
            target, self.return_to = self.return_to, None
            self.core.restore(target)
        else:
            self.core.publish(Step.GUIDANCE_INDEX, self.view())
