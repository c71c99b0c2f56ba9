"""Theme tokens: colours, type sizes and touch-target sizes (Kivy-free, so tests can
check them without a window).

Sizes are pixels on the reference panel: 1920x1080 at 21.5 inches (476 mm wide, so
about 4.0 px per mm). The app multiplies them by ``ui_scale`` (short side / 1080) and,
in large-text mode, type by :data:`LARGE_TEXT_SCALE`. Every text colour is listed with
the background it is drawn on in :data:`TEXT_PAIRS`; ``tests/ui/test_theme.py`` checks
each pair reaches WCAG contrast 7:1 (AAA) in both palettes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

REFERENCE_SHORT_SIDE = 1080
PX_PER_MM = 4.0              # 1920 px across 476 mm (21.5" 16:9)
MIN_TARGET_MM = 15.0         # the smallest touch target we allow
LARGE_TEXT_SCALE = 1.3
# The low-reach layout ("accessible height") fits each screen into the lower half of the
# panel beside a column of its controls: everything at 0.85 (a 22 mm target, still over
# the 15 mm minimum; the cardholder sits at arm's length from that half).
LOW_REACH_SCALE = 0.85


def mm(value: float) -> float:
    """Millimetres on the reference panel, in pixels."""
    return value * PX_PER_MM


@dataclass(frozen=True)
class Metrics:
    """Type and spacing in reference pixels."""

    font_small: float = 28      # hints, footers: still ≥ 28 px
    font_body: float = 32
    font_button: float = 34
    font_title: float = 40      # header title
    font_heading: float = 52    # screen heading
    font_display: float = 68    # attract welcome
    target: float = 104         # standard touch target height (26 mm)
    target_min: float = mm(MIN_TARGET_MM)
    tile_height: float = 320    # attract journey tiles
    header_height: float = 128
    padding: float = 40
    spacing: float = 28
    radius: float = 16
    border_width: float = 3

    def scaled(self, ui_scale: float, text_scale: float) -> Metrics:
        """Metrics for a panel (``ui_scale``) and a text mode (``text_scale``)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name) * ui_scale
            if f.name.startswith("font_"):
                value *= text_scale
            elif f.name in ("target", "header_height"):
                # Bigger text needs taller buttons, but only part as much.
                value *= 1 + (text_scale - 1) * 0.6
            out[f.name] = round(value, 1)
        return replace(self, **out)


@dataclass(frozen=True)
class Palette:
    """Colours as ``#RRGGBB``. ``*_text`` colours are drawn on the matching ``*_bg``."""

    name: str
    bg: str                 # screen background
    text: str               # body text on bg
    text_muted: str         # secondary text on bg
    surface: str            # panels / cards on bg
    surface_text: str
    header_bg: str
    header_text: str
    primary_bg: str         # main action buttons, journey tiles
    primary_text: str
    primary_pressed: str
    secondary_bg: str       # other buttons
    secondary_text: str
    secondary_pressed: str
    border: str             # outlines of secondary buttons and panels
    toggle_on_bg: str       # header toggles when active
    toggle_on_text: str
    danger_bg: str          # error banner on message screens
    danger_text: str
    info_bg: str            # information banner
    info_text: str
    overlay_scrim: str      # dimming behind the inactivity warning (no text on it)


NORMAL = Palette(
    name="normal",
    bg="#F4F2EC", text="#1A1A1A", text_muted="#3A3A3A",
    surface="#FFFFFF", surface_text="#1A1A1A",
    header_bg="#0B3A66", header_text="#FFFFFF",
    primary_bg="#0B4A80", primary_text="#FFFFFF", primary_pressed="#062C4D",
    secondary_bg="#FFFFFF", secondary_text="#0B3A66", secondary_pressed="#D9E2EC",
    border="#0B3A66",
    toggle_on_bg="#FFFFFF", toggle_on_text="#0B3A66",
    danger_bg="#8C1B13", danger_text="#FFFFFF",
    info_bg="#0B3A66", info_text="#FFFFFF",
    overlay_scrim="#000000",
)

HIGH_CONTRAST = Palette(
    name="high_contrast",
    bg="#000000", text="#FFFFFF", text_muted="#FFFFFF",
    surface="#000000", surface_text="#FFFFFF",
    header_bg="#000000", header_text="#FFFF00",
    primary_bg="#FFFF00", primary_text="#000000", primary_pressed="#FFFFFF",
    secondary_bg="#000000", secondary_text="#FFFFFF", secondary_pressed="#333333",
    border="#FFFFFF",
    toggle_on_bg="#FFFF00", toggle_on_text="#000000",
    danger_bg="#000000", danger_text="#FFFF00",
    info_bg="#000000", info_text="#FFFF00",
    overlay_scrim="#000000",
)

PALETTES = {"normal": NORMAL, "high_contrast": HIGH_CONTRAST}

# Every (text colour, background colour) pair the widgets draw.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "bg"), ("text_muted", "bg"), ("text", "surface"), ("text_muted", "surface"),
    ("surface_text", "surface"),
    ("header_text", "header_bg"), ("primary_text", "primary_bg"),
    ("primary_text", "primary_pressed"), ("secondary_text", "secondary_bg"),
    ("secondary_text", "secondary_pressed"), ("toggle_on_text", "toggle_on_bg"),
    ("danger_text", "danger_bg"), ("info_text", "info_bg"),
    # Header buttons draw header_text on header_bg (outlined, not filled).
)
MIN_TEXT_CONTRAST = 7.0


def hex_to_rgba(value: str, alpha: float = 1.0) -> list[float]:
    """``#RRGGBB`` → Kivy ``[r, g, b, a]`` floats."""
    v = value.lstrip("#")
    return [int(v[i:i + 2], 16) / 255 for i in (0, 2, 4)] + [alpha]


def relative_luminance(value: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = hex_to_rgba(value)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG contrast ratio between two colours (1 … 21)."""
    a, b = relative_luminance(fg), relative_luminance(bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def ui_scale_for(width: int, height: int) -> float:
    """Scale of the reference sizes for a panel: its short side over 1080."""
    return min(width, height) / REFERENCE_SHORT_SIDE
