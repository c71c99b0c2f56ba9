"""The journey registry: how the controller's core routes each journey.

The core (:class:`~kiosk.services.controller.JourneyController`) names no journey. It
asks the registry where a journey begins, which of its steps wait for a card and what a
card read means there, where a person goes on once identified, which steps are its
outcome (metrics), and whose the back button is at each step. Adding a journey is one
:class:`JourneyEntry` in :func:`journey_registry` (plus its object on the controller,
its steps and views in ``states.py`` and their screens in the UI's ``SCREEN_FOR_STEP``).

Back belongs to a step, not to a journey: a guidance topic opened from inside the
pre-loss is still the guidance's step. Each journey object says at which of its steps
back is its own (``back_steps``); at any other step back ends the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kiosk.services.ports import Slot
from kiosk.services.states import Journey, Step, View

if TYPE_CHECKING:
    from kiosk.services.cancel import CancelJourney
    from kiosk.services.guidance import GuidanceJourney
    from kiosk.services.identify import Identification
    from kiosk.services.pre_loss import PreLossJourney
    from kiosk.services.status import StatusJourney

# A journey's first step and view (ValueError: not offered at this site).
Begin = Callable[[], tuple[Step, View]]
# A card read at one of a journey's card steps (slot, card data): True when taken.
CardRead = Callable[[Slot, object], bool]


class StepBack(Protocol):
    """A journey object that decides what back does at some of its steps."""

    @property
    def back_steps(self) -> frozenset[Step]:
        """The steps at which :meth:`back` is this object's."""

    def back(self) -> None:
        """The back button at one of :attr:`back_steps`."""


@dataclass(frozen=True)
class JourneyEntry:
    """One journey, as the core routes it."""

    journey: Journey
    begin: Begin
    # The journey objects whose steps it shows: back at their ``back_steps`` is theirs.
    parts: tuple[StepBack, ...] = ()
    # Steps that wait for a card; a card read there goes to ``card_reads`` in order
    # until one takes it (none: the wrong card, the ID card was asked for).
    card_steps: frozenset[Step] = frozenset()
    card_reads: tuple[CardRead, ...] = ()
    # Identification done: where the person goes on. None: the journey takes no
    # identified person (cancelling needs the card itself): it starts afresh instead.
    identified: Callable[[], None] | None = None
    # The steps that are its outcome, with the metrics label (counted once a session).
    outcomes: Mapping[Step, str] = field(default_factory=dict)


class JourneyRegistry:
    """The entries by journey, and who owns back at each step (each step at most one
    owner: a second is refused when the registry is made)."""

    def __init__(self, entries: Iterable[JourneyEntry]) -> None:
        self._entries: dict[Journey, JourneyEntry] = {}
        self._back: dict[Step, StepBack] = {}
        for entry in entries:
            if entry.journey in self._entries or entry.journey is Journey.NONE:
                raise ValueError(f"journey {entry.journey.value!r} registered twice or NONE")
            self._entries[entry.journey] = entry
            for part in entry.parts:
                for step in part.back_steps:
                    owner = self._back.setdefault(step, part)
                    if owner is not part:
                        raise ValueError(f"back at step {step.value!r} has two owners")

    @property
    def journeys(self) -> tuple[Journey, ...]:
        """The registered journeys, in registration order."""
        return tuple(self._entries)

    def entry(self, journey: Journey) -> JourneyEntry | None:
        """``journey``'s entry (None: no such journey, e.g. ``Journey.NONE``)."""
        return self._entries.get(journey)

    def back_at(self, step: Step) -> Callable[[], None] | None:
        """What back does at ``step`` (None: nothing of its own; the session ends)."""
        owner = self._back.get(step)
        return owner.back if owner is not None else None

    def waits_for_card(self, journey: Journey, step: Step) -> bool:
        """Whether ``step`` of ``journey`` waits for a card."""
        entry = self._entries.get(journey)
        return entry is not None and step in entry.card_steps

    def outcome(self, journey: Journey, step: Step) -> str:
        """The metrics outcome ``step`` is for ``journey`` ("" when none)."""
        entry = self._entries.get(journey)
        return entry.outcomes.get(step, "") if entry is not None else ""


class Journeys(Protocol):
    """The journey objects of the controller the registry routes to."""

    @property
    def identify(self) -> Identification: ...
    @property
    def pre_loss(self) -> PreLossJourney: ...
    @property
    def status(self) -> StatusJourney: ...
    @property
    def cancel(self) -> CancelJourney: ...
    @property
    def guidance(self) -> GuidanceJourney: ...


def journey_registry(ctl: Journeys) -> JourneyRegistry:
    """The kiosk's journeys: one entry each."""
    identify, pre_loss, status = ctl.identify, ctl.pre_loss, ctl.status
    return JourneyRegistry((
        JourneyEntry(Journey.PRE_LOSS, lambda: identify.first_step(status=False),
                     parts=(identify, pre_loss), card_steps=identify.card_steps,
                     card_reads=(identify.card_read,), identified=pre_loss.show_cards,
                     outcomes={Step.PRE_LOSS_DONE: "confirmed",
                               Step.PRE_LOSS_PENDING: "queued"}),
        # The status journey also takes the old or new social security card.
        JourneyEntry(Journey.STATUS, lambda: identify.first_step(status=True),
                     parts=(identify, status), card_steps=identify.card_steps,
                     card_reads=(identify.card_read, status.card_read),
                     identified=status.load, outcomes={Step.STATUS: "shown"}),
        JourneyEntry(Journey.CANCEL, ctl.cancel.first_step,
                     card_steps=ctl.cancel.card_steps, card_reads=(ctl.cancel.card_read,),
                     outcomes={Step.CANCEL_DONE: "confirmed"}),
        JourneyEntry(Journey.GUIDANCE, ctl.guidance.first_step, parts=(ctl.guidance,),
                     outcomes={Step.GUIDANCE_TOPIC: "read"}),
    ))
