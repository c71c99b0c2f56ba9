import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.card_states import (
    STAGE_ORDER,
    CardState,
    ReplacementStage,
    RuleViolation,
    can_cancel_pre_loss,
    next_stage,
    next_state,
)

ACTIONS = ["pre_loss", "cancel_pre_loss", "lapse", "official_loss", "replacement_collected",
           "freeze", "expire"]


def test_the_normal_life_of_a_card():
    s = next_state(CardState.ACTIVE, "pre_loss")
    assert s == CardState.PRE_LOST
    s = next_state(s, "official_loss")
    assert s == CardState.LOST
    assert next_state(s, "replacement_collected") == CardState.CANCELLED


def test_cancel_refused_once_a_replacement_exists():
    with pytest.raises(RuleViolation) as err:
        next_state(CardState.PRE_LOST, "cancel_pre_loss", has_replacement=True)
    assert err.value.code == "replacement_exists"
    assert next_state(CardState.PRE_LOST, "cancel_pre_loss") == CardState.ACTIVE


@pytest.mark.parametrize("state,code", [
    (CardState.PRE_LOST, "already_pre_lost"),
    (CardState.LOST, "already_lost"),
    (CardState.CANCELLED, "already_cancelled"),
    (CardState.EXPIRED, "not_active"),
    (CardState.FROZEN, "not_active"),
])
def test_pre_loss_only_from_active(state, code):
    with pytest.raises(RuleViolation) as err:
        next_state(state, "pre_loss")
    assert err.value.code == code


@given(st.sampled_from(list(CardState)), st.sampled_from(ACTIONS), st.booleans())
def test_rules_never_invent_a_state(state, action, has_replacement):
    try:
        result = next_state(state, action, has_replacement)
    except RuleViolation as exc:
        assert exc.code
        return
    assert isinstance(result, CardState)
    if action == "cancel_pre_loss":
        assert can_cancel_pre_loss(state, has_replacement)


@given(st.booleans())
def test_replacement_stages_always_end_collected(mailed):
    stage = ReplacementStage.APPLIED
    seen = [stage]
    while (nxt := next_stage(stage, mailed)) is not None:
        assert STAGE_ORDER.index(nxt) > STAGE_ORDER.index(stage)
        stage = nxt
        seen.append(stage)
    assert seen[-1] == ReplacementStage.COLLECTED
    assert (ReplacementStage.MAILED in seen) == mailed


# --- the whole table, the wire values, the predicates (from the mutation run) -------------

def test_the_values_are_the_contracts_words():
    # The central service sends and the sandbox stores these exact strings.
    assert [s.value for s in CardState] == ["active", "pre_lost", "lost", "cancelled",
                                            "expired", "frozen"]
    assert [s.value for s in ReplacementStage] == ["applied", "in_production",
                                                   "ready_for_pickup", "mailed", "collected"]


EXPECTED = {
    (CardState.ACTIVE, "pre_loss"): CardState.PRE_LOST,
    (CardState.PRE_LOST, "cancel_pre_loss"): CardState.ACTIVE,
    (CardState.PRE_LOST, "lapse"): CardState.ACTIVE,
    (CardState.PRE_LOST, "official_loss"): CardState.LOST,
    (CardState.ACTIVE, "official_loss"): CardState.LOST,
    (CardState.LOST, "replacement_collected"): CardState.CANCELLED,
    (CardState.ACTIVE, "freeze"): CardState.FROZEN,
    (CardState.ACTIVE, "expire"): CardState.EXPIRED,
}


@pytest.mark.parametrize("state", list(CardState))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_and_action(state, action):
    if (state, action) in EXPECTED:
        assert next_state(state, action) == EXPECTED[(state, action)]
        return
    with pytest.raises(RuleViolation) as err:
        next_state(state, action)
    if action != "pre_loss":
        assert err.value.code == "not_allowed" == str(err.value)


def test_the_predicates():
    from kiosk.domain.card_states import pre_loss_allowed

    assert [s for s in CardState if pre_loss_allowed(s)] == [CardState.ACTIVE]
    assert all(isinstance(pre_loss_allowed(s), bool) for s in CardState)
    assert [(s, r) for s in CardState for r in (False, True)
            if can_cancel_pre_loss(s, r)] == [(CardState.PRE_LOST, False)]
