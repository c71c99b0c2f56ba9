"""Navigation has one owner, the journey controller's state; the screens are its view
(kiosk/ui/navigation.py). In the real window, every press a real touch (the keypad's
keys real key presses, xdotool):

- a start screen tile begins its journey through the controller, never from inside a
  screen being opened; the screen shown is the view of the state the controller publishes;
- home from every journey step ends the session;
- back at every journey step is one call of the controller's back, and the screen shown
  afterwards is the view of the controller's state — whatever order Kivy's handlers of
  the back button were bound in, and from the keypad's back key too.

Each step is put on screen through the controller (its tour sample, ``ctl.restore``);
the real journeys' ways back, with real cards and the sandbox, are in
tests/e2e/window/ (test_pin_exit.py, test_status_cancel.py, test_keypad_journeys.py);
what the source may not do (a back of a screen's own, a journey started while a screen
opens) is tests/ui/test_navigation_source.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiosk.services.states import EndReason, Journey, State, Step
from kiosk.ui.journeys.bridge import SCREEN_FOR_STEP, screen_for
from kiosk.ui.journeys.samples import samples_for
from kiosk.ui.routes import ROUTES
from tests.fixtures.access import needs_xdotool, point_at_window, press

pytestmark = pytest.mark.ui

# Steps without a home button, each with its way out instead: the busy screen's cancel
# (home mid-call would be a surprise), the out-of-service pause (no session to leave).
NO_HOME = {Step.BUSY: "app.cancel", Step.OUT_OF_SERVICE: ""}
STEPS = [s for s in SCREEN_FOR_STEP if s is not Step.HOME]


def sample(ui: Any, step: Step) -> State:
    """The first tour sample of ``step`` (the identify step: the pre-loss journey's)."""
    name = SCREEN_FOR_STEP[step]
    found = [st for st in samples_for(name, ui.app.settings).values() if st.step is step]
    assert found, f"no sample state of {step} on {name}"
    return found[0]


def at(ui: Any, state: State) -> Any:
    """The controller at ``state`` (the owner publishes it); its screen shown."""
    ui.app.controller.restore(state)
    return ui.wait_for_screen(screen_for(state))


def shows_the_state(ui: Any) -> bool:
    """The screen on show is the view of the controller's state."""
    st = ui.app.controller.state
    return ui.app.sm.current == ("attract" if st.step is Step.HOME else screen_for(st))


def visible(ui: Any, button: Any) -> bool:
    return button.parent is not None and ui.is_visible(button)


@pytest.fixture
def backs(kiosk_ui: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Step]]:
    """The steps at which the controller's back was called (a spy: it still runs)."""
    ctl = kiosk_ui.app.controller
    seen: list[Step] = []
    real = ctl.back

    def spy() -> None:
        seen.append(ctl.state.step)
        real()

    monkeypatch.setattr(ctl, "back", spy)
    yield seen


@pytest.fixture
def published(kiosk_ui: Any) -> Iterator[list[tuple[Journey, Step]]]:
    """Every state the controller publishes (journey, step)."""
    ctl, seen = kiosk_ui.app.controller, []

    def note(state: State) -> None:
        seen.append((state.journey, state.step))

    ctl.subscribe(note)
    yield seen
    ctl.unsubscribe(note)


FIRST_STEP = {Journey.PRE_LOSS: Step.IDENTIFY, Journey.STATUS: Step.IDENTIFY,
              Journey.GUIDANCE: Step.GUIDANCE_INDEX, Journey.CANCEL: Step.CANCEL_INSERT_SSC}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_a_tile_begins_its_journey_through_the_controller(kiosk_ui, published, route):
    """The tile is an intent to the controller; the state it publishes is drawn (a
    journey begun while a screen is being opened would raise: the next test)."""
    ui = kiosk_ui
    ui.tap(key=route.label_key)
    ui.wait_for_screen(route.screen)
    ctl = ui.app.controller
    assert published[:1] == [(route.journey, FIRST_STEP[route.journey])]
    assert (ctl.state.journey, ctl.state.step) == published[0]
    assert shows_the_state(ui)
    ui.tap(key="app.home")
    ui.wait_for_screen("attract")
    assert ctl.state.step is Step.HOME and ctl.state.end_reason is EndReason.HOME


def test_no_state_is_drawn_while_a_screen_is_being_opened(kiosk_ui):
    """A screen that began a journey in its prepare() (what the journeys' first screens
    used to do) is refused loudly, the screen left as it was."""
    ui = kiosk_ui
    screen = ui.app.sm.get_screen("placeholder")
    ctl = ui.app.controller

    def starts_a_journey(**_params: Any) -> None:
        ctl.start(Journey.GUIDANCE)

    screen.prepare = starts_a_journey
    try:
        with pytest.raises(RuntimeError, match="while the screen 'placeholder'"):
            ui.app.go("placeholder")
    finally:
        del screen.prepare
    assert ui.app.sm.current == "attract"
    ui.app.end_session(EndReason.RESET)


@pytest.mark.parametrize("step", STEPS, ids=str)
def test_home_from_every_journey_step_ends_the_session(kiosk_ui, step):
    ui = kiosk_ui
    screen = at(ui, sample(ui, step))
    if step in NO_HOME:
        assert not visible(ui, screen.home_button)
        if NO_HOME[step]:
            assert ui.find(root=screen, key=NO_HOME[step])
        return
    ui.tap(screen.home_button)
    ui.wait_for_screen("attract")
    ctl = ui.app.controller
    assert ctl.state.step is Step.HOME and ctl.state.end_reason is EndReason.HOME
    assert ctl.session.is_empty()


def reverse_handlers(button: Any) -> Callable[[], None]:
    """Bind the button's on_release handlers again in the other order; returns the undo."""
    handlers = [ref() for ref in button.get_property_observers("on_release")]
    for handler in handlers:
        button.unbind(on_release=handler)
    for handler in reversed(handlers):
        button.bind(on_release=handler)

    def undo() -> None:
        for handler in handlers:
            button.unbind(on_release=handler)
        for handler in handlers:
            button.bind(on_release=handler)
    return undo


@pytest.mark.parametrize("order", ["as_bound", "reversed"])
@pytest.mark.parametrize("step", STEPS, ids=str)
def test_back_at_every_step_is_the_controllers_back_whatever_the_bind_order(
        kiosk_ui, backs, step, order):
    ui = kiosk_ui
    screen = at(ui, sample(ui, step))
    button = screen.back_button
    if not visible(ui, button):
        assert screen.show_back is False  # a step with no way back (done, the pause)
        return
    # Another handler beside the one back (as a screen, a sound or the focus ring may
    # bind), before it or after it: the result must not change.
    pressed: list[Step] = []

    def listener(*_: Any) -> None:
        pressed.append(ui.app.controller.state.step)

    button.bind(on_release=listener)
    undo = reverse_handlers(button) if order == "reversed" else (lambda: None)
    try:
        ui.tap(button)
        ui.drain()  # the state the back published is drawn (a hop to the UI thread)
    finally:
        undo()
        button.unbind(on_release=listener)
    assert backs == [step]  # one back, the controller's, at the step shown
    assert len(pressed) == 1
    assert shows_the_state(ui), (step, ui.app.sm.current, ui.app.controller.state.step)


def test_back_keeps_the_journey_order_in_the_other_bind_order(kiosk_ui, backs):
    """Where the step back is known without a person's data: code → keypad → the ID card
    step → the start screen, with the back button's handlers bound the other way round."""
    ui = kiosk_ui
    at(ui, sample(ui, Step.CODE_ENTRY))
    expected = [("identify_keypad", Step.ID_KEYPAD), ("pre_loss", Step.IDENTIFY),
                ("attract", Step.HOME)]
    for name, step in expected:
        button = ui.app.sm.current_screen.back_button
        undo = reverse_handlers(button)
        try:
            ui.tap(button)
        finally:
            undo()
        ui.wait_for_screen(name)
        assert ui.app.controller.state.step is step
    assert backs == [Step.CODE_ENTRY, Step.ID_KEYPAD, Step.IDENTIFY]


@needs_xdotool
def test_the_keypads_back_key_is_the_same_back(kiosk_ui, backs):
    ui = kiosk_ui
    point_at_window(ui)
    at(ui, sample(ui, Step.CODE_ENTRY))
    press(ui, "Down")  # the first key: non-visual mode on
    press(ui, "KP_1")  # a digit typed into the code
    keypad = ui.app.sm.current_screen.ids.keypad
    assert keypad.value == "1"
    press(ui, "Left")  # back deletes the digit first: no step back
    assert keypad.value == "" and backs == []
    press(ui, "Left")
    ui.wait_for_screen("identify_keypad")
    press(ui, "BackSpace")
    ui.wait_for_screen("pre_loss")
    assert ui.app.controller.state.step is Step.IDENTIFY
    assert backs == [Step.CODE_ENTRY, Step.ID_KEYPAD]
    press(ui, "Left")
    ui.wait_for_screen("attract")
    assert backs == [Step.CODE_ENTRY, Step.ID_KEYPAD, Step.IDENTIFY]


def test_the_low_reach_bar_has_the_same_back(kiosk_ui, backs):
    ui = kiosk_ui
    ui.app.low_reach = True
    try:
        screen = at(ui, sample(ui, Step.CODE_ENTRY))
        side = ui.wait_until(lambda: screen.frame.side, 5, "the low-reach bar")
        ui.tap(ui.find(root=side, key="app.back"))
        ui.wait_for_screen("identify_keypad")
    finally:
        ui.app.low_reach = False
    assert backs == [Step.CODE_ENTRY]
