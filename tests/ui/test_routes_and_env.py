"""Attract routes as data, and the Kivy environment (no window)."""

from __future__ import annotations

from kiosk.config import load_settings
from kiosk.i18n import catalog
from kiosk.ui.kivy_env import MAX_FPS, kivy_environment
from kiosk.ui.registry import SCREENS
from kiosk.ui.routes import ROUTES, enabled_routes


def test_cancel_pre_loss_only_where_the_site_allows_it():
    medical = load_settings(environ={"KIOSK__KIOSK__SITE": "medical"})
    outlet = load_settings(environ={"KIOSK__KIOSK__SITE": "outlet"})
    assert [r.id for r in enabled_routes(medical)] == ["pre_loss", "status", "guide"]
    assert [r.id for r in enabled_routes(outlet)] == [
        "pre_loss", "status", "guide", "cancel_pre_loss"]


def test_route_texts_exist_and_screens_are_registered_once():
    for lang in ("zh_CN", "en"):
        for r in ROUTES:
            assert r.label_key in catalog(lang) and r.hint_key in catalog(lang)
    names = [s.name for s in SCREENS]
    assert len(names) == len(set(names))
    assert {"attract", "message", "placeholder"} <= set(names)


def test_kivy_environment_is_fullscreen_by_geometry_without_escape(tmp_path):
    s = load_settings(environ={"KIOSK__DISPLAY__WIDTH": "1080", "KIOSK__DISPLAY__HEIGHT": "1920",
                               "KIOSK__DISPLAY__HIDE_CURSOR": "true"})
    env = kivy_environment(s, kivy_home=tmp_path)
    assert env["KIVY_NO_ARGS"] == "1" and env["KIVY_HOME"] == str(tmp_path)
    assert env["KCFG_GRAPHICS_FULLSCREEN"] == "0" and env["KCFG_GRAPHICS_BORDERLESS"] == "1"
    assert (env["KCFG_GRAPHICS_WIDTH"], env["KCFG_GRAPHICS_HEIGHT"]) == ("1080", "1920")
    assert env["KCFG_GRAPHICS_POSITION"] == "custom"
    assert env["KCFG_GRAPHICS_LEFT"] == env["KCFG_GRAPHICS_TOP"] == "0"
    assert env["KCFG_GRAPHICS_SHOW_CURSOR"] == "0"
    assert env["KCFG_KIVY_EXIT_ON_ESCAPE"] == "0"
    assert int(env["KCFG_GRAPHICS_MAXFPS"]) == MAX_FPS <= 30
    assert "disable_multitouch" in env["KCFG_INPUT_MOUSE"]
    assert kivy_environment(s)["KIVY_HOME"].startswith(str(s.data_dir))
