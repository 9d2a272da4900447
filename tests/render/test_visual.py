"""The visual check: every template's sample deck rendered to PDF and rasterised with
poppler's `pdftoppm`. With everything but the text removed, no ink may fall outside the
text boxes; with everything drawn, no slide, text box or chart is blank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from slidestream.render.assets import AssetResolver
from slidestream.render.model import (
    ChartElement,
    DeckGeometry,
    ImageElement,
    SlideGeometry,
    TableElement,
    TextElement,
)
from slidestream.render.pdf import render_pdf
from slidestream.templates.registry import list_layout_groups
from tests.render.export_decks import geometry_deck, resolver_with_photo

DPI = 36  # canvas units are points: 36 dpi draws a slide at 640 x 360 pixels
SCALE = DPI / 72
SLACK = 3.0  # canvas units a glyph may overhang its line box (accents, italics)
GROUPS = [group.name for group in list_layout_groups()]


def rasterise(deck: DeckGeometry, resolver: AssetResolver, folder: Path) -> list[Image.Image]:
    pdf = folder / "deck.pdf"
    pdf.write_bytes(render_pdf(deck, resolver))
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is needed: .ci/run installs it"
    subprocess.run([pdftoppm, "-r", str(DPI), "-png", str(pdf), str(folder / "page")], check=True)
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) == len(deck.slides)
    return [Image.open(page).convert("RGB") for page in pages]


def text_elements(slide: SlideGeometry) -> list[TextElement]:
    found: list[TextElement] = []
    for element in slide.elements:
        if isinstance(element, TextElement):
            found.append(element)
        elif isinstance(element, TableElement):
            found.extend(cell for row in element.cells for cell in row)
    return found


def text_only(deck: DeckGeometry) -> DeckGeometry:
    """The deck with nothing but its text, in black on white."""
    slides = []
    for slide in deck.slides:
        texts = [
            t.model_copy(update={"style": t.style.model_copy(update={"color": "#000000"})})
            for t in text_elements(slide)
        ]
        slides.append(slide.model_copy(update={"background": "#ffffff", "elements": texts}))
    return deck.model_copy(update={"slides": slides})


def ink_mask(page: Image.Image, background: str) -> Image.Image:
    """Pixels that differ visibly from the background."""
    plain = Image.new("RGB", page.size, background)
    difference = ImageChops.difference(page, plain).convert("L")
    return difference.point(lambda value: 255 if value > 48 else 0)


def pixel_box(x: float, y: float, w: float, h: float, slack: float = 0.0) -> tuple[int, ...]:
    return (
        max(0, int((x - slack) * SCALE)),
        max(0, int((y - slack) * SCALE)),
        int((x + w + slack) * SCALE) + 1,
        int((y + h + slack) * SCALE) + 1,
    )


def lit(mask: Image.Image) -> int:
    """How many pixels of a black-and-white mask are set."""
    return sum(mask.histogram()[1:])


def ink_in(mask: Image.Image, box: tuple[int, ...]) -> int:
    return lit(mask.crop(box))


@pytest.fixture(scope="module")
def resolver(tmp_path_factory: pytest.TempPathFactory) -> AssetResolver:
    return resolver_with_photo(tmp_path_factory.mktemp("images"))


@pytest.mark.parametrize("group", GROUPS)
def test_no_text_leaves_its_box(group: str, resolver: AssetResolver, tmp_path: Path) -> None:
    deck = text_only(geometry_deck(group))
    for number, (page, slide) in enumerate(
        zip(rasterise(deck, resolver, tmp_path), deck.slides, strict=True)
    ):
        mask = ink_mask(page, "#ffffff")
        allowed = Image.new("L", page.size, 0)
        for text in text_elements(slide):
            allowed.paste(255, pixel_box(text.x, text.y, text.w, text.h, SLACK))
        outside = ImageChops.subtract(mask, allowed)
        stray = lit(outside)
        assert stray == 0, f"{group} slide {number} ({slide.kind}): {stray} px of text outside"


@pytest.mark.parametrize("group", GROUPS)
def test_nothing_is_blank(group: str, resolver: AssetResolver, tmp_path: Path) -> None:
    deck = geometry_deck(group)
    texts_only = text_only(deck)
    pages = rasterise(deck, resolver, tmp_path / "full")
    bare = rasterise(texts_only, resolver, (tmp_path / "bare"))
    for number, slide in enumerate(deck.slides):
        full_mask = ink_mask(pages[number], slide.background)
        assert ink_in(full_mask, (0, 0, *pages[number].size)) > 500, f"{group} slide {number}"
        bare_mask = ink_mask(bare[number], "#ffffff")
        for text in text_elements(texts_only.slides[number]):
            if any(line.text.strip() for line in text.lines):
                box = pixel_box(text.x, text.y, text.w, text.h, SLACK)
                assert ink_in(bare_mask, box) > 0, f"{group} slide {number}: blank {text.role}"
        for element in slide.elements:
            if isinstance(element, ChartElement | ImageElement):
                box = pixel_box(element.x, element.y, element.w, element.h)
                assert ink_in(full_mask, box) > 0, f"{group} slide {number}: blank {element.type}"


@pytest.fixture(autouse=True)
def _pdf_folders(tmp_path: Path) -> None:
    for name in ("full", "bare"):
        (tmp_path / name).mkdir()


INVISIBLE = [
    "W\x85" * 30,
    "Wo\x80rd\x9f " * 40,
    "Ex\u00adtra\u00adordi\u00adnary " * 30,
    "W\u2060" * 60,
    "Zero\u200bwidth\ufeffspaces " * 30,
]


@pytest.mark.parametrize("text", INVISIBLE, ids=["nel", "c1", "soft-hyphen", "joiner", "zwsp"])
def test_characters_measured_as_nothing_draw_nothing(
    text: str, resolver: AssetResolver, tmp_path: Path
) -> None:
    from slidestream.render.geometry import deck_geometry
    from slidestream.templates.registry import get_theme

    content = {"title": text, "bullets": [text, text[:50]]}
    deck = text_only(
        deck_geometry("x", [(content, "general:bullet-list", "bullets", "")], get_theme("general"))
    )
    (page,) = rasterise(deck, resolver, tmp_path)
    mask = ink_mask(page, "#ffffff")
    allowed = Image.new("L", page.size, 0)
    for element in text_elements(deck.slides[0]):
        allowed.paste(255, pixel_box(element.x, element.y, element.w, element.h, SLACK))
    assert lit(ImageChops.subtract(mask, allowed)) == 0
