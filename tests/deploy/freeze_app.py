"""A real Kivy app with the kiosk's sd_notify attached whose UI thread freezes for
FREEZE seconds, 1.5 s after its first frame (run by test_notify as a subprocess)."""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kiosk-freeze-"))
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

from kivy.app import App  # noqa: E402  (Kivy reads the environment when imported)
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from kiosk.system.notify import attach_to_app  # noqa: E402

FREEZE = float(sys.argv[1])


class Frozen(App):
    def build(self) -> Label:
        return Label(text="x")

    def on_start(self) -> None:
        Window.bind(on_flip=self.first_frame)

    def first_frame(self, *_: object) -> None:
        # Counted from the first frame (READY=1), not from on_start: on a loaded machine
        # the first frame can come after a freeze timed from on_start.
        Window.unbind(on_flip=self.first_frame)
        Clock.schedule_once(lambda _dt: time.sleep(FREEZE), 1.5)   # the UI thread hangs
        Clock.schedule_once(lambda _dt: self.stop(), 1.5 + FREEZE + 1.5)


app = Frozen()
attach_to_app(app)
app.run()
