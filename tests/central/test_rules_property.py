"""Property tests: whatever sequence of actions, the sandbox follows the domain rules.

The sandbox store is driven directly (one layer, no HTTP) with random action sequences;
a model built only from :mod:`kiosk.domain.card_states` predicts every outcome.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store import ApiProblem, SandboxStore
from kiosk.domain.card_states import (
    STAGE_ORDER,
    CardState,
    ReplacementStage,
    RuleViolation,
    can_cancel_pre_loss,
    next_stage,
    next_state,
)
from kiosk.personas import persona

ID = persona("normal")["id"]["id_number"]
CARD = persona("normal")["ssc"]["card_number"]
ACTIONS = st.lists(st.sampled_from(["pre_loss", "cancel", "apply", "advance", "wait"]),
                   max_size=12)
_DIR = Path(tempfile.mkdtemp(prefix="central-prop-"))
_STORE = SandboxStore(_DIR / "prop.db", RegionalRules())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS, mailed=st.booleans())
def test_sandbox_follows_the_card_rules(actions, mailed):
    store = _STORE
    store.reset()
    state, stage, has_repl, key = CardState.ACTIVE, None, False, 0
    for action in actions:
        key += 1
        if action == "pre_loss":
            status, body, _ = store.idempotent("T", f"k{key}", "pre", str(key).encode(),
                                               lambda: store.pre_loss(CARD, ID, "T"))
            try:
                state = next_state(state, "pre_loss")
                assert status == 200, body
            except RuleViolation as exc:
                assert status == 409 and body["__problem__"] == exc.code
        elif action == "cancel":
            allowed = can_cancel_pre_loss(state, has_repl)
            status, body, _ = store.idempotent("T", f"k{key}", "cancel", str(key).encode(),
                                               lambda: store.cancel_pre_loss(CARD, ID))
            assert (status == 200) == allowed, body
            if has_repl:
                assert body.get("__problem__") == "replacement_exists"
            if allowed:
                state = CardState.ACTIVE
        elif action == "apply":
            try:
                store.apply_replacement(CARD, mailed=mailed)
            except ApiProblem as exc:
                assert has_repl or state not in (CardState.ACTIVE, CardState.PRE_LOST,
                                                 CardState.LOST), exc
            else:
                assert not has_repl
                state = next_state(state, "official_loss") if state != CardState.LOST \
                    else state
                has_repl, stage = True, ReplacementStage.APPLIED
        elif action == "advance":
            try:
                repl = store.advance_replacement(CARD)
            except ApiProblem:
                assert stage is None or next_stage(stage, mailed) is None
            else:
                stage = next_stage(stage, mailed)
                assert repl["stage"] == stage.value
                if stage == ReplacementStage.COLLECTED:
                    state = next_state(state, "replacement_collected")
                route = [h["stage"] for h in repl["history"]]
                order = [s.value for s in STAGE_ORDER]
                assert route == sorted(route, key=order.index)  # never goes backwards
        elif action == "wait":
            # Past the lapse period: a pre-loss without a replacement lapses by itself.
            store.clock_offset += dt.timedelta(days=11)
            if state == CardState.PRE_LOST and not has_repl:
                state = next_state(state, "lapse")
        status = store.card_status(CARD)
        assert status["state"] == state.value
        assert status["history"][-1]["state"] == state.value


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200), path=st.sampled_from(["/v1/pre_losses", "/v1/x"]),
       flip=st.integers(min_value=0), field=st.sampled_from(["body", "path", "method",
                                                               "terminal", "ts"]))
def test_any_change_to_a_signed_request_breaks_the_signature(body, path, flip, field):
    from kiosk.central.signing import SignatureError, sign_request, verify_request

    key = b"k" * 32
    headers = sign_request(key, "T1", "POST", path, body, now=1000, nonce="n" * 16)
    verify_request({"T1": key, "T2": key}, "POST", path, body, headers, 300, now=1000)
    method = "POST"
    if field == "body":
        if body:  # flip one bit somewhere
            i = flip % len(body)
            body = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
        else:
            body = b"x"
    elif field == "path":
        path = path + "/"
    elif field == "method":
        method = "PUT"
    elif field == "terminal":
        headers = {**headers, "X-Kiosk-Terminal": "T2"}
    else:
        headers = {**headers, "X-Kiosk-Timestamp": "1001"}
    try:
        verify_request({"T1": key, "T2": key}, method, path, body, headers, 300, now=1000)
    except SignatureError as exc:
        assert exc.code == "bad_signature"
    else:
        raise AssertionError("a changed request verified")
