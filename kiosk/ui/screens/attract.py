"""The attract screen: welcome, one big tile per journey (routes are data), hotline."""

from __future__ import annotations

from kiosk.ui.routes import enabled_routes
from kiosk.ui.screen_base import KioskScreen, load_kv
from kiosk.ui.widgets.buttons import JourneyTile


class AttractScreen(KioskScreen):
    """Home. No back or home button here: this is where every session starts and ends.

    Static by design: no animation, so an idle kiosk draws nothing. "Call staff" and
    "accessible height" are in its footer row, beside the hotline, not in the bar."""

    access_in_content = True

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._routes: list[str] = []
        self._tiles()
        self.app.theme.bind(version=self._equalise)
        self.app.bind(low_reach=self._equalise)
        # Settings from the centre (features) can add or remove a journey, at once.
        self.app.bind(settings_version=self._tiles)
        self.bind(size=self._orient)

    def _tiles(self, *_: object) -> None:
        """One tile per journey the settings in effect offer (rebuilt only if changed)."""
        routes = enabled_routes(self.app.settings)
        if [r.id for r in routes] == self._routes:
            return
        self._routes = [r.id for r in routes]
        grid = self.ids.tiles
        grid.clear_widgets()
        for route in routes:
            tile = JourneyTile(label_key=route.label_key, hint_key=route.hint_key,
                               route_id=route.id)
            tile.bind(on_release=self._open, natural_height=self._equalise)
            grid.add_widget(tile)
        self._orient()
        self._equalise()

    def _equalise(self, *_: object) -> None:
        # All tiles as tall as the tallest text needs (never below the theme's tile height).
        tiles = self.ids.tiles.children
        # Low reach: as tall as the text needs (the lower half has no room to spare).
        floor = self.app.theme.target if self.app.low_reach else self.app.theme.tile_height
        height = max([floor] + [t.natural_height for t in tiles])
        for t in tiles:
            t.height = height

    def _orient(self, *_: object) -> None:
        # Landscape: all tiles in one row (leaves room for large text); portrait: a column.
        n = len(self.ids.tiles.children)
        self.ids.tiles.cols = 1 if self.height > self.width else max(1, n)

    def _open(self, tile: JourneyTile) -> None:
        self.app.start_route(tile.route_id)


load_kv(__file__)
