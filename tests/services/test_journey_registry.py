"""The core routes by the journey registry (kiosk/services/registry.py), headless.

What the core does at a step — back, a card read, identification handing on, where a
journey begins and what counts as its outcome — comes from the journey's registry entry;
the core names no journey. A journey registered in place of another is routed to without
any change to the core: adding a journey is one entry."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.config import REPO_ROOT
from kiosk.services.registry import JourneyEntry, JourneyRegistry
from kiosk.services.states import EndReason, Journey, Step, View
from tests.services.conftest import NORMAL_ID, Rig
from tests.services.fakes import Event, id_card, ssc_card


@dataclass
class FakeJourney:
    """A journey object as the registry sees it: it records what it was routed."""

    back_steps: frozenset[Step] = frozenset({Step.GUIDANCE_INDEX})
    routed: list[tuple[str, object]] = field(default_factory=list)
    takes_cards: bool = True

    def begin(self) -> tuple[Step, View]:
        self.routed.append(("begin", None))
        return Step.GUIDANCE_INDEX, None

    def back(self) -> None:
        self.routed.append(("back", None))

    def card_read(self, slot: object, data: object) -> bool:
        self.routed.append(("card", slot))
        return self.takes_cards

    def identified(self) -> None:
        self.routed.append(("identified", None))


def registered(rig: Rig, fake: FakeJourney, *, identified: bool = True) -> None:
    """The rig's controller with ``fake`` registered as the guidance journey (one entry)."""
    rig.ctl.registry = JourneyRegistry((
        JourneyEntry(Journey.GUIDANCE, fake.begin, parts=(fake,),
                     card_steps=frozenset({Step.GUIDANCE_INDEX}),
                     card_reads=(fake.card_read,),
                     identified=fake.identified if identified else None,
                     outcomes={Step.GUIDANCE_TOPIC: "read"}),))


def test_a_journey_registered_once_is_begun_and_routed_by_the_core(rig: Rig) -> None:
    fake = FakeJourney()
    registered(rig, fake)
    rig.ctl.start(Journey.GUIDANCE)
    assert rig.ctl.state.step == Step.GUIDANCE_INDEX
    assert rig.ctl.state.journey == Journey.GUIDANCE
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.ctl.back()
    rig.ctl.identified()
    assert [what for what, _ in fake.routed] == ["begin", "card", "back", "identified"]
    assert rig.ctl.state.step == Step.GUIDANCE_INDEX  # the fake moved nowhere: no end


def test_a_card_no_reader_takes_is_the_wrong_card(rig: Rig) -> None:
    fake = FakeJourney(takes_cards=False)
    registered(rig, fake)
    rig.ctl.start(Journey.GUIDANCE)
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card()))
    assert rig.ctl.state.step == Step.FAILED
    assert rig.ctl.state.failure is not None and rig.ctl.state.failure.kind == "wrong_card"
    rig.ctl.retry()
    assert rig.ctl.state.step == Step.GUIDANCE_INDEX


def test_a_card_at_a_step_that_waits_for_none_is_not_read(rig: Rig) -> None:
    fake = FakeJourney(back_steps=frozenset())
    registered(rig, fake)
    rig.ctl.start(Journey.GUIDANCE)
    rig.ctl.publish(Step.GUIDANCE_TOPIC)  # not one of the entry's card steps
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    assert [what for what, _ in fake.routed] == ["begin"]
    assert rig.ctl.state.step == Step.GUIDANCE_TOPIC


def test_back_where_no_journey_object_owns_it_ends_the_session(rig: Rig) -> None:
    fake = FakeJourney(back_steps=frozenset())
    registered(rig, fake)
    rig.ctl.start(Journey.GUIDANCE)
    rig.ctl.back()
    assert rig.ctl.state.step == Step.HOME and rig.ctl.state.end_reason == EndReason.DONE
    assert ("back", None) not in fake.routed


def test_identified_into_a_chosen_journey_keeps_the_person_or_starts_afresh(rig: Rig) -> None:
    fake = FakeJourney()
    registered(rig, fake)
    rig.ctl.session.id_number = NORMAL_ID
    rig.ctl.identified(Journey.GUIDANCE)  # the e-SSC start screen's choice
    assert fake.routed == [("identified", None)]
    assert rig.ctl.state.journey == Journey.GUIDANCE
    assert rig.ctl.session.id_number == NORMAL_ID  # kept

    fresh = FakeJourney()
    registered(rig, fresh, identified=False)  # e.g. cancelling: needs the card itself
    rig.ctl.identified(Journey.GUIDANCE)
    assert [what for what, _ in fresh.routed] == ["begin"]
    assert rig.ctl.session.id_number is None  # a fresh session


def test_the_outcome_is_the_entrys(rig: Rig) -> None:
    assert rig.ctl.registry.outcome(Journey.PRE_LOSS, Step.PRE_LOSS_DONE) == "confirmed"
    assert rig.ctl.registry.outcome(Journey.PRE_LOSS, Step.PRE_LOSS_PENDING) == "queued"
    assert rig.ctl.registry.outcome(Journey.STATUS, Step.STATUS) == "shown"
    assert rig.ctl.registry.outcome(Journey.PRE_LOSS, Step.GUIDANCE_TOPIC) == ""  # not read
    assert rig.ctl.registry.outcome(Journey.GUIDANCE, Step.GUIDANCE_TOPIC) == "read"


def test_every_journey_is_registered_once(rig: Rig) -> None:
    assert set(rig.ctl.registry.journeys) == set(Journey) - {Journey.NONE}
    entry = rig.ctl.registry.entry(Journey.GUIDANCE)
    assert entry is not None
    with pytest.raises(ValueError, match="twice"):
        JourneyRegistry((entry, entry))
    with pytest.raises(ValueError, match="NONE"):
        JourneyRegistry((JourneyEntry(Journey.NONE, entry.begin),))


def test_back_at_a_step_has_one_owner_at_most() -> None:
    one, two = FakeJourney(), FakeJourney()
    with pytest.raises(ValueError, match="two owners"):
        JourneyRegistry((JourneyEntry(Journey.GUIDANCE, one.begin, parts=(one,)),
                         JourneyEntry(Journey.STATUS, two.begin, parts=(two,))))


# What back does at each step of the real journeys (the registry's owners), and where
# nobody owns it (the session ends): the whole table, so a step moved to another owner
# or forgotten is seen.
BACK_OWNERS = {Step.ID_KEYPAD: "identify", Step.CODE_ENTRY: "identify",
               Step.CARDS: "pre_loss", Step.CONSEQUENCES: "pre_loss",
               Step.STATUS: "status", Step.GUIDANCE_TOPIC: "guidance"}


def test_back_at_each_step_goes_to_its_journey_object(rig: Rig) -> None:
    for step in Step:
        back = rig.ctl.registry.back_at(step)
        owner = BACK_OWNERS.get(step)
        if owner is None:
            assert back is None, step
        else:
            assert back == getattr(rig.ctl, owner).back, step


def test_card_steps_are_the_entries(rig: Rig) -> None:
    waits = {(j, s) for j in Journey for s in Step if rig.ctl.registry.waits_for_card(j, s)}
    identify = {Step.IDENTIFY, Step.ID_KEYPAD, Step.CODE_ENTRY}
    assert waits == ({(Journey.PRE_LOSS, s) for s in identify}
                     | {(Journey.STATUS, s) for s in identify}
                     | {(Journey.CANCEL, Step.CANCEL_INSERT_SSC),
                        (Journey.CANCEL, Step.CANCEL_INSERT_ID)})


def _journeys_named(path: Path) -> list[str]:
    """``Journey.X`` attributes a module's code names (NONE aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.name}:{node.lineno} Journey.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "Journey" and node.attr != "NONE"]


def test_the_core_names_no_journey() -> None:
    services = REPO_ROOT / "kiosk" / "services"
    assert _journeys_named(services / "controller.py") == []
    assert _journeys_named(services / "essc.py") == []
