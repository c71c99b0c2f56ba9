"""The one place that prepares Kivy's environment. Call before anything imports kivy.

Kivy reads its settings when first imported: ``KIVY_*`` variables and ``KCFG_<SECTION>_<KEY>``
overrides of its config file. We set them all here from our :class:`Settings`, so the
window is fullscreen by geometry (no window manager on a kiosk: borderless, explicit
size, custom position 0,0 — ``fullscreen=1`` would leave an 800x600 X window), Escape
does not quit, the mouse does not emulate multitouch, the frame rate is capped for a low
idle CPU, Kivy's config/logs land under the data dir instead of ``~/.kivy``, and SDL lets
the X screensaver run (SDL suspends it by default, so ``display.blank_seconds`` never blanked).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kiosk.config import Settings

# A kiosk idles all day: the clock wakes this often at most. Touch feels the same at 30.
MAX_FPS = 30


def kivy_environment(settings: Settings, *, kivy_home: Path | None = None,
                     console_log: bool = True, width: int | None = None,
                     height: int | None = None) -> dict[str, str]:
    """The environment variables Kivy must see (pure: for tests and subprocesses)."""
    home = kivy_home or settings.data_dir / "kivy"
    disp = settings.display
    env = {
        "KIVY_NO_ARGS": "1",                 # our argparse owns the command line
        "KIVY_HOME": str(home),
        "KIVY_NO_FILELOG": "1",              # our own JSON logs are the record
        "KIVY_LOG_MODE": "MIXED",            # keep Kivy's handlers off the root logger
        "KCFG_KIVY_LOG_LEVEL": "warning",
        "KCFG_KIVY_EXIT_ON_ESCAPE": "0",
        "KCFG_KIVY_PAUSE_ON_MINIMIZE": "0",
        "KCFG_GRAPHICS_FULLSCREEN": "0",
        "KCFG_GRAPHICS_BORDERLESS": "1" if disp.borderless else "0",
        "KCFG_GRAPHICS_RESIZABLE": "0",
        "KCFG_GRAPHICS_WIDTH": str(width or disp.width),
        "KCFG_GRAPHICS_HEIGHT": str(height or disp.height),
        "KCFG_GRAPHICS_POSITION": "custom",
        "KCFG_GRAPHICS_LEFT": "0",
        "KCFG_GRAPHICS_TOP": "0",
        # Production never shows a cursor; the demo shows it unless display.hide_cursor.
        "KCFG_GRAPHICS_SHOW_CURSOR": "0" if disp.hide_cursor or not settings.kiosk.demo
        else "1",
        "KCFG_GRAPHICS_MAXFPS": str(MAX_FPS),
        "KCFG_GRAPHICS_MULTISAMPLES": "0",   # llvmpipe: MSAA costs CPU for nothing
        "KCFG_INPUT_MOUSE": "mouse,disable_multitouch",   # no red-dot multitouch emulation
        # SDL suspends the X screensaver at start-up (XScreenSaverSuspend) unless told;
        # Kivy's allow_screensaver does not undo it. Blanking is set by kiosk/system/blanking.py.
        "SDL_VIDEO_ALLOW_SCREENSAVER": "1",
    }
    if not console_log:
        env["KIVY_NO_CONSOLELOG"] = "1"
    return env


def configure_kivy(settings: Settings, **kwargs: object) -> None:
    """Put :func:`kivy_environment` into ``os.environ``; refuse if Kivy is already loaded
    (its settings would silently not apply)."""
    env = kivy_environment(settings, **kwargs)  # type: ignore[arg-type]
    if "kivy" in sys.modules:
        from kivy.config import Config  # lazy: only if Kivy is loaded already

        if "kivy.core.window" in sys.modules:
            raise RuntimeError("Kivy's window exists already: configure_kivy came too late")
        for name, value in env.items():
            if name.startswith("SDL_"):      # read when the window starts SDL's video
                os.environ[name] = value
            elif name.startswith("KCFG_"):
                _, section, key = name.split("_", 2)
                Config.set(section.lower(), key.lower(), value)
        return
    Path(env["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(env)
