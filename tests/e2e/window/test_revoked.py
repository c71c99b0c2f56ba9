"""A revoked terminal key in the real window, on the real sandbox and the real client:
the next call is refused and the out-of-service screen shows, with the hotline, not a
failure screen; the key reinstated, the next call that succeeds brings the start screen
back."""

from __future__ import annotations

from tests.e2e.window.conftest import Journey

# On both services: the sandbox and the centre on PostgreSQL (a revoked
# terminal is refused on its next call and shows out of service).
CENTRAL_BACKENDS = ("sandbox", "centre")


def test_a_revoked_key_shows_out_of_service_with_the_hotline(journey: Journey, tmp_path) -> None:
    j = journey
    j.sandbox.admin("POST", "/fleet/terminals/T-DEMO-0001/revoke")
    j.open_pre_loss()
    j.slots.insert("normal", "id")
    j.screen("out_of_service")
    texts = j.texts()
    assert "本机已被社保卡服务停用" in texts and "96102" in texts
    assert "王" not in texts and j.ctl.session.is_empty()
    j.ui.screenshot(tmp_path / "revoked.png")
    # Not even the guidance: the terminal may be in the wrong hands.
    assert not j.ui.find_all(key="fleet.paused.guidance_button", root=j.app.sm.current_screen)
    calls = len(j.calls)
    j.ctl.start("pre_loss")  # nothing starts while revoked (a stale touch, a route)
    assert j.ctl.state.step == "out_of_service" and len(j.calls) == calls
    j.ui.drain()  # whatever it handed to the UI thread has run
    assert j.app.sm.current == "out_of_service"
    j.sandbox.admin("POST", "/fleet/terminals/T-DEMO-0001/reinstate")
    j.parts.central.heartbeat(0)  # any call that succeeds says the key is good again
    j.screen("attract")
