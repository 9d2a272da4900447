"""The bundled fonts and text measurement with their real metrics.

Every renderer draws with the fonts in `templates/fonts/`, and the geometry measures text
with the same files, so a line fitted here has the same width in the web preview, the PPTX
and the PDF. Widths are the sum of the glyphs' advance widths (no kerning, which only
narrows text, so a fitted line never gets wider when drawn).

A character the family lacks is measured in the first font of the fallback chain that has
it (Noto Sans, Noto Sans Arabic, Noto Sans Hebrew, then Droid Sans Fallback for Chinese
and Japanese). Characters no bundled font has (emoji, Hangul) count as 1 em; invisible
ones (controls, joiners, direction marks, variation selectors, combining marks without a
glyph) as 0, so measuring never fails.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

FONTS_DIR = Path(__file__).resolve().parent.parent / "templates" / "fonts"

FONT_FAMILIES: tuple[str, ...] = (
    "Inter",
    "Montserrat",
    "Lora",
    "IBM Plex Sans",
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Droid Sans Fallback",
)
"""The bundled families, in the order the deck's font list uses."""

DEFAULT_FAMILY = "Inter"
FALLBACK_CHAIN: tuple[str, ...] = (
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Droid Sans Fallback",  # Chinese and Japanese
)

_STYLE_PREFERENCE: dict[tuple[bool, bool], tuple[str, ...]] = {
    (False, False): ("Regular",),
    (True, False): ("Bold", "Regular"),
    (False, True): ("Italic", "Regular"),
    (True, True): ("BoldItalic", "Bold", "Italic", "Regular"),
}
_ZERO_WIDTH_CATEGORIES = frozenset({"Mn", "Me", "Zl", "Zp", "Cs"})


def resolve_family(family: str) -> str:
    """The bundled family a name means (case and spacing ignored); unknown names -> Inter."""
    key = "".join(str(family).split()).lower()
    for name in FONT_FAMILIES:
        if "".join(name.split()).lower() == key:
            return name
    return DEFAULT_FAMILY


def font_file(family: str, bold: bool = False, italic: bool = False) -> Path:
    """The TTF of a family in the nearest available style (unknown family -> Inter)."""
    name = resolve_family(family)
    folder = FONTS_DIR / name
    stem = name.replace(" ", "")
    for style in _STYLE_PREFERENCE[(bool(bold), bool(italic))]:
        path = folder / f"{stem}-{style}.ttf"
        if path.is_file():
            return path
    return folder / f"{stem}-Regular.ttf"


@dataclass(frozen=True)
class FontMetrics:
    """What measuring needs from one font file, in font units."""

    path: Path
    units_per_em: int
    ascent: int
    descent: int = field(metadata={"doc": "Positive: distance below the baseline."})
    line_gap: int
    advances: dict[int, int] = field(repr=False)

    @property
    def ascent_em(self) -> float:
        return self.ascent / self.units_per_em

    @property
    def descent_em(self) -> float:
        return self.descent / self.units_per_em

    def has(self, char: str) -> bool:
        return ord(char) in self.advances

    def advance_em(self, char: str) -> float | None:
        """The advance width of one character in em, or None when the font lacks it."""
        adv = self.advances.get(ord(char))
        return None if adv is None else adv / self.units_per_em


_load_lock = threading.Lock()


@cache
def _load(path: Path) -> FontMetrics:
    font = TTFont(str(path), lazy=True)
    try:
        cmap: dict[int, str] = font.getBestCmap() or {}
        hmtx = font["hmtx"].metrics
        hhea = font["hhea"]
        advances = {cp: int(hmtx[glyph][0]) for cp, glyph in cmap.items() if glyph in hmtx}
        return FontMetrics(
            path=path,
            units_per_em=int(font["head"].unitsPerEm),
            ascent=int(hhea.ascent),
            descent=abs(int(hhea.descent)),
            line_gap=int(hhea.lineGap),
            advances=advances,
        )
    finally:
        font.close()


def load_metrics(path: Path) -> FontMetrics:
    """The metrics of one font file, read once per process."""
    with _load_lock:
        return _load(path)


def font_metrics(family: str, bold: bool = False, italic: bool = False) -> FontMetrics:
    return load_metrics(font_file(family, bold, italic))


def fallback_families(family: str) -> list[str]:
    """The families tried, in order, for characters `family` lacks."""
    name = resolve_family(family)
    return [f for f in FALLBACK_CHAIN if f != name]


def covers(family: str, char: str, bold: bool = False, italic: bool = False) -> bool:
    """Whether the family itself (not its fallbacks) has a glyph for `char`."""
    return len(char) == 1 and font_metrics(family, bold, italic).has(char)


def family_for_char(family: str, char: str, bold: bool = False, italic: bool = False) -> str | None:
    """The bundled family that draws `char`: the family, else the first fallback with it."""
    if covers(family, char, bold, italic):
        return resolve_family(family)
    for fallback in fallback_families(family):
        if covers(fallback, char, bold, italic):
            return fallback
    return None


class _Measurer:
    """Per-character widths (em) of one family and style, including the fallback chain."""

    def __init__(self, family: str, bold: bool, italic: bool) -> None:
        self._chain = [font_metrics(family, bold, italic)] + [
            font_metrics(f, bold, italic) for f in fallback_families(family)
        ]
        self._cache: dict[str, float] = {}
        self._lock = threading.Lock()

    def char_em(self, char: str) -> float:
        width = self._cache.get(char)
        if width is not None:
            return width
        width = self._measure(char)
        with self._lock:
            self._cache[char] = width
        return width

    def _measure(self, char: str) -> float:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf") or 0xFE00 <= ord(char) <= 0xFE0F:
            return 0.0  # controls, joiners, direction marks, variation selectors: invisible
        for metrics in self._chain:
            adv = metrics.advance_em(char)
            if adv is not None:
                return adv
        if category in _ZERO_WIDTH_CATEGORIES:
            return 0.0
        return 1.0

    def text_em(self, text: str) -> float:
        char_em = self.char_em
        return sum(char_em(c) for c in text)


_measurers: dict[tuple[str, bool, bool], _Measurer] = {}
_measurers_lock = threading.Lock()


def measurer(family: str, bold: bool = False, italic: bool = False) -> _Measurer:
    key = (resolve_family(family), bool(bold), bool(italic))
    found = _measurers.get(key)
    if found is None:
        with _measurers_lock:
            found = _measurers.get(key)
            if found is None:
                found = _measurers[key] = _Measurer(*key)
    return found


def text_em(text: str, family: str, bold: bool = False, italic: bool = False) -> float:
    """The width of `text` in em (at font size 1)."""
    return measurer(family, bold, italic).text_em(text)


def text_width(
    text: str, family: str, size: float, bold: bool = False, italic: bool = False
) -> float:
    """The width of `text` drawn on one line in `family` at `size` (canvas units)."""
    return measurer(family, bold, italic).text_em(text) * size
