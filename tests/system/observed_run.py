"""``kiosk run ARGS`` exactly as a user starts it, plus an observer that only reads.

``python -m tests.system.observed_run OUT.jsonl run --demo …``: the real entry point
(:func:`kiosk.cli.main.main`), the real ``App.run()`` loop. The observer is a Kivy clock
callback, attached to the app as the root's ``build_app`` returns it to ``kiosk run``; it
never builds, binds or
calls anything of the app's: every 0.1 s it writes one JSON line to ``OUT.jsonl`` when
what shows has changed: the current screen and its visible buttons (i18n key, text and
centre in X window coordinates, origin top-left, for ``xdotool``).

A test then drives the window from outside, with real X input (``xdotool``), knowing
where to press without anything in the app made easier for it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import kiosk.cli.run as run_command
from kiosk.cli.main import main

INTERVAL_S = 0.1


def _visible(widget: Any) -> bool:
    node = widget
    while node is not None and node.parent is not node:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
            return False
        node = node.parent
    return True


def snapshot(app: Any) -> dict[str, Any] | None:
    """What shows now: screen name and buttons (read only; nothing is built)."""
    # lazy: Kivy is configured by build_app before this runs
    from kivy.core.window import Window
    from kivy.uix.behaviors import ButtonBehavior

    sm = getattr(app, "sm", None)
    if sm is None or not sm.screens:
        return None
    screen = sm.current_screen
    buttons = []
    for widget in screen.walk(restrict=True):
        if not isinstance(widget, ButtonBehavior) or not _visible(widget):
            continue
        x, y = widget.to_window(*widget.center)
        buttons.append({"key": getattr(widget, "key", ""), "text": str(widget.text)
                        if hasattr(widget, "text") else "",
                        "x": round(x), "y": round(Window.height - y)})
    return {"screen": sm.current, "buttons": buttons}


def observe(out: Path) -> None:
    """Wrap the ``build_app`` that ``kiosk run`` calls so that the app it returns is
    observed."""
    original = run_command.build_app

    def create_observed(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        from kivy.clock import Clock  # lazy: after build_app configured Kivy

        last: list[str] = [""]

        def tick(_dt: float) -> None:
            shot = snapshot(app)
            line = json.dumps(shot, ensure_ascii=False) if shot is not None else ""
            if line and line != last[0]:
                last[0] = line
                with out.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")

        Clock.schedule_interval(tick, INTERVAL_S)
        return app

    run_command.build_app = create_observed


if __name__ == "__main__":
    observe(Path(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
