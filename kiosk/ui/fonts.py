"""The Simplified Chinese font the UI uses everywhere.

Debian's fonts-noto-cjk ships .ttc collections whose face 0 is Japanese; SDL2_ttf always
takes face 0, so Chinese would render with Japanese glyph shapes. We extract the "SC"
faces once (at set-up, ``python -m kiosk.ui.fonts``) into ``assets/fonts/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ASSETS_FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
SOURCES = {
    "Regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "Bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}
FACE_NAME = "Noto Sans CJK SC"


def font_path(weight: str = "Regular") -> Path:
    """Path of the extracted SC face (``Regular`` or ``Bold``)."""
    return ASSETS_FONTS / f"NotoSansCJKsc-{weight}.otf"


def fonts_ready() -> bool:
    return all(font_path(w).exists() for w in SOURCES)


def register_fonts() -> None:
    """Make the Simplified Chinese face Kivy's default font, for every Label and input.

    Re-registering the DEFAULT_FONT name means no widget needs ``font_name``."""
    # lazy: Kivy only once configured (configure_kivy); set-up imports this module without it
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular, bold = font_path("Regular"), font_path("Bold")
    for path in (regular, bold):
        if not path.exists():
            raise FileNotFoundError(
                f"font {path} is missing: run ./kiosk.sh setup (python -m kiosk.ui.fonts)")
    LabelBase.register(DEFAULT_FONT, str(regular), str(regular), str(bold), str(bold))


def extract_fonts(force: bool = False) -> list[Path]:
    """Extract the SC faces from the Noto CJK collections; return the written paths."""
    from fontTools.ttLib import TTCollection  # lazy: set-up only; the app imports fonts

    written = []
    ASSETS_FONTS.mkdir(parents=True, exist_ok=True)
    for weight, source in SOURCES.items():
        target = font_path(weight)
        if target.exists() and not force:
            continue
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing: install the fonts-noto-cjk package")
        collection = TTCollection(str(source), lazy=True)
        for face in collection.fonts:
            if face["name"].getDebugName(4) == f"{FACE_NAME}" + ("" if weight == "Regular"
                                                                 else " Bold"):
                tmp = target.with_suffix(".tmp")
                face.save(str(tmp))
                tmp.replace(target)
                written.append(target)
                break
        else:
            raise LookupError(f"no {FACE_NAME} {weight} face in {source}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        written = extract_fonts(force=args.force)
    except (FileNotFoundError, LookupError) as exc:
        print(f"fonts: {exc}", file=sys.stderr)
        return 1
    if written and not args.quiet:
        for p in written:
            print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
