"""PDF export: read back with pypdf, pages, fonts, text and its positions match the geometry."""

from __future__ import annotations

import importlib.util
import io
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from slidestream.render import fonts
from slidestream.render.assets import AssetResolver
from slidestream.render.model import (
    ChartElement,
    DeckGeometry,
    SlideGeometry,
    TableElement,
    TextElement,
)
from slidestream.render.pdf import needs_shaping, render_pdf, shaping_available, wedge_points
from tests.render.export_decks import (
    ARABIC,
    CJK,
    EMOJI,
    HEBREW,
    broken_text_deck,
    geometry_deck,
    image,
    resolver_with_photo,
    sample_deck,
    scripts_deck,
    text,
)


@pytest.fixture
def resolver(tmp_path: Path) -> AssetResolver:
    return resolver_with_photo(tmp_path)


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def squash(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def page_fonts(page: Any) -> dict[str, Any]:
    """BaseFont name -> font dictionary of a page's fonts."""
    found: dict[str, Any] = {}
    resources = page["/Resources"]
    for font in resources.get("/Font", {}).values():
        font = font.get_object()
        found[str(font["/BaseFont"])] = font
    return found


def embedded(font: Any) -> bool:
    descendant = font["/DescendantFonts"][0].get_object()
    return "/FontFile2" in descendant["/FontDescriptor"].get_object()


def latin_lines(element: TextElement) -> list[str]:
    return [line.text for line in element.lines if line.text.strip()]


def all_text_elements(slide: SlideGeometry) -> list[TextElement]:
    found: list[TextElement] = []
    for element in slide.elements:
        if isinstance(element, TextElement):
            found.append(element)
        elif isinstance(element, TableElement):
            found.extend(cell for row in element.cells for cell in row)
    return found


def test_one_1280x720_page_per_slide_with_embedded_fonts(resolver: AssetResolver) -> None:
    deck = sample_deck()
    reader = read(render_pdf(deck, resolver))
    assert len(reader.pages) == len(deck.slides)
    assert reader.metadata is not None and reader.metadata.title == deck.title
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == (1280.0, 720.0)
        found = page_fonts(page)
        assert found, "every sample slide has text"
        assert all(embedded(font) for font in found.values())
        assert all("Inter" in name for name in found)


def test_extracted_text_has_every_fitted_line(resolver: AssetResolver) -> None:
    deck = sample_deck()
    reader = read(render_pdf(deck, resolver))
    for slide, page in zip(deck.slides, reader.pages, strict=True):
        extracted = squash(page.extract_text())
        for element in all_text_elements(slide):
            for line in latin_lines(element):
                assert squash(line) in extracted
        for chart in slide.elements:
            if isinstance(chart, ChartElement):
                for part in chart.parts:
                    if part.kind == "label":
                        assert part.text in extracted


def test_lines_are_drawn_at_the_geometry_baseline(resolver: AssetResolver) -> None:
    title = text("title", ["Baseline check"], (100, 200, 800, 80), size=40, bold=True)
    body = text("body", ["Right aligned"], (100, 400, 800, 80), size=24, align="right")
    slide = SlideGeometry(background="#ffffff", elements=[title, body])
    reader = read(render_pdf(DeckGeometry(title="t", slides=[slide], fonts=[]), resolver))
    seen: list[tuple[str, float, float]] = []

    def visit(chunk: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if chunk.strip():
            seen.append((chunk.strip(), tm[4], tm[5]))

    reader.pages[0].extract_text(visitor_text=visit)
    for element in (title, body):
        line = element.lines[0]
        ascent = fonts.font_metrics(element.style.font, element.style.bold).ascent_em
        baseline = line.y + ascent * element.style.size
        drawn = [s for s in seen if s[0] == line.text]
        assert drawn, seen
        _, x, y = drawn[0]
        assert x == pytest.approx(line.x, abs=0.05)
        assert 720 - y == pytest.approx(baseline, abs=0.05)


def test_images_shapes_and_placeholders(resolver: AssetResolver, tmp_path: Path) -> None:
    (tmp_path / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    slide = SlideGeometry(
        background="#123456",
        elements=[
            image("/app_data/images/photo.png", x=10, y=10),
            image("/static/icons/bold/acorn.svg", x=600, y=10, fit="contain", radius=0),
            image("/app_data/images/broken.png", x=10, y=380),
            image("javascript:alert(1)", x=600, y=380),
        ],
    )
    reader = read(render_pdf(DeckGeometry(title="t", slides=[slide], fonts=[]), resolver))
    resources: Any = reader.pages[0]["/Resources"]
    xobjects = resources["/XObject"]
    images = [x.get_object() for x in xobjects.values()]
    assert len(images) == 2  # the photo and the rasterised icon; two placeholders drawn
    assert sorted((int(i["/Width"]), int(i["/Height"])) for i in images)[0] == (200, 100)
    content = reader.pages[0].get_contents()
    assert content is not None
    ops = content.get_data()
    assert b"0.0706 0.2039 0.3373 rg" in ops  # the background, #123456
    assert b" W n" in ops  # covered images are clipped to their rounded box


def test_rtl_cjk_emoji_and_hostile_text_export_without_error(
    resolver: AssetResolver, caplog: pytest.LogCaptureFixture
) -> None:
    deck = scripts_deck()
    with caplog.at_level(logging.WARNING):
        data = render_pdf(deck, resolver)
    reader = read(data)
    assert len(reader.pages) == 2
    names = set(page_fonts(reader.pages[0]))
    assert any("NotoSansArabic" in n for n in names)
    assert any("NotoSansHebrew" in n for n in names)
    assert any("Lora" in n for n in names) and any("Montserrat" in n for n in names)
    assert all(embedded(f) for f in page_fonts(reader.pages[0]).values())
    extracted = squash(reader.pages[0].extract_text())
    assert '<script>alert(1)</script> "quoted" &' in extracted
    assert "Launch day" in extracted and "teams" in extracted
    assert "Привет мир — Ελληνικά" in extracted
    table_text = squash(reader.pages[1].extract_text())
    assert "Plan Price Seats" in table_text and "$10" in table_text


def test_shaping_is_used_only_for_scripts_that_need_it() -> None:
    assert needs_shaping(ARABIC) and needs_shaping(HEBREW)
    assert not needs_shaping("Plain Latin, Ελληνικά, Кириллица")
    assert not needs_shaping(CJK) and not needs_shaping(EMOJI)
    # uharfbuzz is a dependency: shaping is on wherever the project is installed.
    assert (importlib.util.find_spec("uharfbuzz") is not None) == shaping_available()


def test_wedges_start_at_twelve_o_clock_and_turn_clockwise() -> None:
    points = wedge_points((100, 100), 50, 0, 90)
    assert points[0] == (100, 100)
    assert points[1] == pytest.approx((100, 50))
    assert points[-1] == pytest.approx((150, 100))


def test_empty_deck_and_empty_elements() -> None:
    resolver = AssetResolver(Path("/nonexistent"), Path("/nonexistent"))
    assert len(read(render_pdf(DeckGeometry(title="", slides=[], fonts=[]), resolver)).pages) == 1
    slide = SlideGeometry(
        background="#ffffff",
        elements=[text("body", [""], (0, 0, 100, 100)), image("/static/x.png", x=0, y=0)],
    )
    reader = read(render_pdf(DeckGeometry(title="", slides=[slide], fonts=[]), resolver))
    assert len(reader.pages) == 1


@pytest.mark.parametrize("group", ["general", "modern", "standard", "swift"])
def test_decks_laid_out_by_the_geometry_export(resolver: AssetResolver, group: str) -> None:
    deck = geometry_deck(group)
    reader = read(render_pdf(deck, resolver))
    assert len(reader.pages) == len(deck.slides)
    for slide, page in zip(deck.slides, reader.pages, strict=True):
        assert all(embedded(font) for font in page_fonts(page).values())
        extracted = squash(page.extract_text())
        for element in all_text_elements(slide):
            for line in latin_lines(element):
                if line.isascii():
                    assert squash(line) in extracted


def test_text_no_file_can_carry_is_dropped_not_fatal(resolver: AssetResolver) -> None:
    reader = read(render_pdf(broken_text_deck(), resolver))
    assert "bad" in reader.pages[0].extract_text()
