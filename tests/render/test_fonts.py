"""The bundled fonts and measuring text with their metrics."""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from slidestream.render import fonts
from slidestream.render.fonts import (
    FONT_FAMILIES,
    covers,
    fallback_families,
    family_for_char,
    font_file,
    font_metrics,
    resolve_family,
    text_width,
)

STYLES = {
    "Inter": {"Regular", "Bold", "Italic"},
    "Montserrat": {"Regular", "Bold"},
    "Lora": {"Regular", "Bold", "Italic"},
    "IBM Plex Sans": {"Regular", "Bold"},
    "Noto Sans": {"Regular", "Bold"},
    "Noto Sans Arabic": {"Regular"},
    "Noto Sans Hebrew": {"Regular"},
    "Droid Sans Fallback": {"Regular"},
}
LICENCES = {"Droid Sans Fallback": ("LICENSE.txt", "Apache License")}


def test_bundled_families_with_licences() -> None:
    assert set(FONT_FAMILIES) == set(STYLES)
    assert (fonts.FONTS_DIR / "README.md").is_file()
    for family, styles in STYLES.items():
        folder = fonts.FONTS_DIR / family
        licence, words = LICENCES.get(family, ("OFL.txt", "SIL Open Font License"))
        assert words in (folder / licence).read_text("utf-8")
        stem = family.replace(" ", "")
        assert {p.name for p in folder.glob("*.ttf")} == {f"{stem}-{s}.ttf" for s in styles}


@pytest.mark.parametrize("family", FONT_FAMILIES)
def test_every_file_loads(family: str) -> None:
    for bold in (False, True):
        for italic in (False, True):
            path = font_file(family, bold, italic)
            assert path.is_file()
            m = font_metrics(family, bold, italic)
            assert m.units_per_em > 0 and m.ascent > 0 and m.descent > 0 and m.advances


def test_nearest_style_and_unknown_family() -> None:
    assert font_file("Inter", bold=True).name == "Inter-Bold.ttf"
    assert font_file("Inter", italic=True).name == "Inter-Italic.ttf"
    assert font_file("Inter", bold=True, italic=True).name == "Inter-Bold.ttf"
    assert font_file("Montserrat", italic=True).name == "Montserrat-Regular.ttf"
    assert font_file("Noto Sans Hebrew", bold=True).name == "NotoSansHebrew-Regular.ttf"
    assert font_file("Comic Sans MS") == font_file("Inter")
    assert resolve_family("ibm plex sans") == "IBM Plex Sans"
    assert resolve_family("IBMPlexSans") == "IBM Plex Sans"
    assert resolve_family("") == "Inter"


def test_metrics_are_loaded_once() -> None:
    assert font_metrics("Lora") is font_metrics("Lora")


@pytest.mark.parametrize(
    ("family", "bold", "italic"),
    [("Inter", False, False), ("Inter", True, False), ("Lora", False, True), ("Montserrat", 1, 0)],
)
def test_width_matches_fonttools(family: str, bold: bool, italic: bool) -> None:
    text = "Hello, World! Quarterly review 2025 — ÀÉÎõü"
    font = TTFont(str(font_file(family, bold, italic)))
    cmap, hmtx = font.getBestCmap(), font["hmtx"].metrics
    upm = font["head"].unitsPerEm
    expected = sum(hmtx[cmap[ord(c)]][0] for c in text) / upm * 20
    assert text_width(text, family, 20, bold, italic) == pytest.approx(expected, abs=1e-9)
    assert text_width(text, family, 40, bold, italic) == pytest.approx(2 * expected, abs=1e-9)
    font.close()


def test_fallback_chain() -> None:
    chain = ["Noto Sans", "Noto Sans Arabic", "Noto Sans Hebrew", "Droid Sans Fallback"]
    assert fallback_families("Inter") == chain
    assert fallback_families("Noto Sans") == chain[1:]
    assert fallback_families("Unknown") == fallback_families("Inter")
    assert covers("Inter", "A") and not covers("Inter", "ب")
    assert covers("Noto Sans Arabic", "ب") and covers("Noto Sans Hebrew", "ש")
    assert not covers("Inter", "")
    assert family_for_char("Inter", "ب") == "Noto Sans Arabic"
    assert family_for_char("Lora", "ש") == "Noto Sans Hebrew"
    assert family_for_char("Inter", "中") == "Droid Sans Fallback"
    assert family_for_char("Inter", "あ") == "Droid Sans Fallback"
    assert family_for_char("Inter", "\U0001f680") is None  # emoji: no bundled font


def test_fallback_widths() -> None:
    arabic = font_metrics("Noto Sans Arabic")
    expected = sum(arabic.advances[ord(c)] for c in "سلام") / arabic.units_per_em * 10
    assert text_width("سلام", "Inter", 10) == pytest.approx(expected)
    hebrew = font_metrics("Noto Sans Hebrew")
    expected = sum(hebrew.advances[ord(c)] for c in "שלום") / hebrew.units_per_em * 10
    assert text_width("שלום", "Montserrat", 10) == pytest.approx(expected)


def test_characters_without_a_font() -> None:
    assert text_width("中文字", "Inter", 10) == pytest.approx(30)
    assert text_width("🚀", "Inter", 12) == pytest.approx(12)
    assert text_width("\u200d\ufe0f\x00", "Inter", 12) == 0
    assert text_width("", "Inter", 12) == 0
    assert text_width("\udc00", "Inter", 12) >= 0
