"""Export a support bundle to a USB stick or the terminal's support folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiosk.services.diagnostics.bundle import BundleError, export_bundle
from kiosk.services.diagnostics.runner import run_checks
from kiosk.services.diagnostics.tools import bundle_targets
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, error_key, run_in_background, technician
from kiosk.ui.widgets.buttons import KButton


class DiagBundleScreen(DiagScreen):
    def reset(self) -> None:
        self.ids.targets.clear_widgets()
        self.show_text(self.ids.result, "")

    def refresh(self) -> None:
        self._targets(bundle_targets(self.app.settings))

    def _targets(self, paths: list[Path]) -> None:
        """A button per place a bundle can go (at most four)."""
        box = self.ids.targets
        box.clear_widgets()
        for path in paths[:4]:
            b = KButton(text=str(path), variant="secondary", role="small")
            b.bind(on_release=lambda _b, p=path: self.export(p))
            box.add_widget(b)

    def export(self, dest: Path) -> None:
        ctx = technician(self.app).context()
        settings = self.app.settings

        def work() -> Path:
            try:
                report = run_checks(ctx)
            finally:
                ctx.close()
            return export_bundle(settings, dest, report)

        self.show(self.ids.result, "diagnostics.ui.exporting")
        run_in_background(self.app, work, self._done)

    def _done(self, result: Path | BaseException) -> None:
        self.forget()
        if isinstance(result, Path):
            self.show(self.ids.result, "diagnostics.ui.exported", path=str(result))
        elif isinstance(result, BundleError):
            # The error's own message is English (for logs and the CLI): say it by reason.
            self.render(lambda: self.show(self.ids.result, "diagnostics.ui.export_failed",
                                          error=self.tr(
                                              f"diagnostics.ui.bundle_error.{result.reason}",
                                              path=result.path)))
        else:
            self.render(lambda: self.show(self.ids.result, "diagnostics.ui.export_failed",
                                          error=self.tr(error_key(result))))

    def tour_states(self) -> dict[str, Callable[[], None]]:
        places = [Path("/media/KIOSK-USB"), Path("/var/lib/kiosk/support")]

        def exported() -> None:
            self._targets(places)
            self.show(self.ids.result, "diagnostics.ui.exported",
                      path="/media/KIOSK-USB/kiosk-bundle-T-DEMO-0001-20261125-0930.zip")

        return {"default": lambda: self._targets(places), "exported": exported}


load_kv(__file__)
