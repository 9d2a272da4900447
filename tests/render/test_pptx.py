"""PPTX export: reopened with python-pptx, every object is where the geometry put it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.util import Emu

from slidestream.render import fonts
from slidestream.render.assets import AssetResolver
from slidestream.render.model import (
    ChartElement,
    DeckGeometry,
    ImageElement,
    SlideGeometry,
    TableElement,
    TextElement,
)
from slidestream.render.pptx import drawn_style, paragraph_lines, render_pptx
from tests.render.export_decks import (
    ARABIC,
    CJK,
    EMOJI,
    EVIL,
    HEBREW,
    broken_text_deck,
    geometry_deck,
    image,
    resolver_with_photo,
    sample_deck,
    scripts_deck,
    text,
)

EMU = 12700


@pytest.fixture
def resolver(tmp_path: Path) -> AssetResolver:
    return resolver_with_photo(tmp_path)


def reopen(data: bytes) -> Any:
    return Presentation(io.BytesIO(data))


def emu(value: float) -> int:
    return round(value * EMU)


def shape_at(slide: Any, x: float, y: float, w: float, h: float, kind: Any = None) -> Any:
    for shape in slide.shapes:
        if kind is not None and shape.shape_type != kind:
            continue
        box = (shape.left, shape.top, shape.width, shape.height)
        if box == (emu(x), emu(y), emu(w), emu(h)):
            return shape
    raise AssertionError(f"no shape at {(x, y, w, h)}")


def expected_text(element: TextElement) -> str:
    return "\n".join("\v".join(line.text for line in group) for group in paragraph_lines(element))


def check_text(slide: Any, element: TextElement) -> None:
    shape = shape_at(slide, element.x, element.y, element.w, element.h, MSO_SHAPE_TYPE.TEXT_BOX)
    frame = shape.text_frame
    assert frame.text == expected_text(element)
    assert [frame.margin_left, frame.margin_top, frame.margin_right, frame.margin_bottom] == [0] * 4
    assert frame.word_wrap is False
    body_pr = frame._txBody.bodyPr
    assert body_pr.find(qn("a:normAutofit")) is None and body_pr.find(qn("a:spAutoFit")) is None
    style = element.style
    for paragraph in frame.paragraphs:
        assert paragraph.line_spacing.pt == pytest.approx(style.size * style.line_height, abs=0.01)
        for run in paragraph.runs:
            assert run.font.size.pt == pytest.approx(style.size, abs=0.01)
            assert run.font.name == fonts.resolve_family(style.font)
            bold, italic = drawn_style(style.font, style.bold, style.italic)
            assert bool(run.font.bold) == bold and bool(run.font.italic) == italic
            assert str(run.font.color.rgb) == style.color.lstrip("#").upper()


def test_slide_size_title_notes_and_count(resolver: AssetResolver) -> None:
    deck = sample_deck()
    prs = reopen(render_pptx(deck, resolver))
    assert (prs.slide_width, prs.slide_height) == (16256000, 9144000)
    assert len(prs.slides) == len(deck.slides)
    assert prs.core_properties.title == deck.title
    first = prs.slides[0]
    assert first.has_notes_slide
    assert first.notes_slide.notes_text_frame.text == deck.slides[0].notes
    assert not prs.slides[2].has_notes_slide  # no notes, no notes page
    background = first.background.fill
    assert str(background.fore_color.rgb) == deck.slides[0].background.lstrip("#").upper()


def test_every_text_element_is_a_native_text_box_with_the_fitted_lines(
    resolver: AssetResolver,
) -> None:
    deck = sample_deck()
    prs = reopen(render_pptx(deck, resolver))
    checked = 0
    for geometry, slide in zip(deck.slides, prs.slides, strict=True):
        for element in geometry.elements:
            if isinstance(element, TextElement):
                check_text(slide, element)
                checked += 1
    assert checked >= 6


def test_bullets_are_native_with_the_geometry_indent(resolver: AssetResolver) -> None:
    deck = sample_deck()
    body = next(
        e for e in deck.slides[1].elements if isinstance(e, TextElement) and e.role == "body"
    )
    prs = reopen(render_pptx(deck, resolver))
    shape = shape_at(prs.slides[1], body.x, body.y, body.w, body.h)
    paragraphs = shape.text_frame.paragraphs
    assert len(paragraphs) == 3
    indent = body.lines[0].x - body.x
    for paragraph in paragraphs:
        ppr = paragraph._p.pPr
        assert ppr.find(qn("a:buChar")).get("char") == "\u2022"
        assert int(ppr.get("marL")) == emu(indent)
        assert int(ppr.get("indent")) == -emu(indent)
    # Wrapped bullets keep their line breaks where the geometry wrapped them.
    assert any("\v" in p.text for p in paragraphs)


def test_paragraph_lines_groups_wrapped_paragraphs() -> None:
    element = text(
        "body",
        ["A first paragraph that is long enough to wrap in a narrow box", "", "Second"],
        (0, 0, 200, 400),
        size=20,
    )
    groups = paragraph_lines(element)
    assert len(groups) == 3
    assert len(groups[0]) > 1
    assert [line.text for line in groups[1]] == [""]
    assert [line.text for line in groups[2]] == ["Second"]
    assert sum(len(g) for g in groups) == len(element.lines)


def test_shapes_pictures_charts_and_tables_are_native(resolver: AssetResolver) -> None:
    deck = sample_deck()
    prs = reopen(render_pptx(deck, resolver))
    title = prs.slides[0]
    kinds = [shape.shape_type for shape in title.shapes]
    assert kinds.count(MSO_SHAPE_TYPE.AUTO_SHAPE) >= 3
    assert MSO_SHAPE_TYPE.LINE in kinds

    picture_el = next(e for e in deck.slides[1].elements if isinstance(e, ImageElement))
    picture = shape_at(
        prs.slides[1],
        picture_el.x,
        picture_el.y,
        picture_el.w,
        picture_el.h,
        MSO_SHAPE_TYPE.PICTURE,
    )
    # A 2:1 photo covering a 3:2 box is cropped left and right, not stretched.
    assert picture.crop_left == pytest.approx(0.125, abs=1e-3)
    assert picture.crop_right == pytest.approx(0.125, abs=1e-3)
    assert picture.crop_top == 0 and picture.crop_bottom == 0
    assert picture._element.nvPicPr.cNvPr.get("descr") == "A photo"

    charts = [s for s in prs.slides[2].shapes if s.has_chart]
    assert {c.chart.chart_type for c in charts} == {
        XL_CHART_TYPE.LINE_MARKERS,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
    }
    for element in deck.slides[2].elements:
        if isinstance(element, ChartElement):
            frame = shape_at(prs.slides[2], element.x, element.y, element.w, element.h)
            chart = frame.chart
            assert list(chart.plots[0].categories) == element.categories
            for drawn, series in zip(chart.plots[0].series, element.series, strict=True):
                assert drawn.name == series.name
                assert list(drawn.values) == pytest.approx(series.values)
            first = chart.plots[0].series[0]
            if element.chart == "bar":
                assert str(first.format.fill.fore_color.rgb) == element.colors[0][1:].upper()
            else:
                assert str(first.format.line.color.rgb) == element.colors[0][1:].upper()

    pie_el = next(e for e in deck.slides[3].elements if isinstance(e, ChartElement))
    pie = shape_at(prs.slides[3], pie_el.x, pie_el.y, pie_el.w, pie_el.h).chart
    assert pie.chart_type == XL_CHART_TYPE.PIE
    point_colors = [str(p.format.fill.fore_color.rgb) for p in pie.plots[0].series[0].points]
    assert point_colors == [c[1:].upper() for c in pie_el.colors]


def test_table_is_native_with_widths_fills_and_fitted_cells(resolver: AssetResolver) -> None:
    deck = sample_deck()
    element = next(e for e in deck.slides[3].elements if isinstance(e, TableElement))
    prs = reopen(render_pptx(deck, resolver))
    frame = shape_at(prs.slides[3], element.x, element.y, element.w, element.h)
    assert frame.has_table
    table = frame.table
    assert [c.width for c in table.columns] == [emu(w) for w in element.col_widths]
    assert [r.height for r in table.rows] == [emu(h) for h in element.row_heights]
    for r, row in enumerate(element.cells):
        fill = element.header_fill if r == 0 else element.row_fills[(r - 1) % 2]
        for c, cell_el in enumerate(row):
            cell = table.cell(r, c)
            assert cell.text_frame.text == expected_text(cell_el)
            assert str(cell.fill.fore_color.rgb) == fill[1:].upper()
            runs = [run for p in cell.text_frame.paragraphs for run in p.runs]
            assert runs and all(
                run.font.size.pt == pytest.approx(cell_el.style.size, abs=0.01) for run in runs
            )
            assert cell.margin_left == emu(cell_el.x - element.x - sum(element.col_widths[:c]))
    assert table.cell(2, 0).text_frame.text == "Team & Co"


def test_missing_or_broken_images_become_placeholders(
    resolver: AssetResolver, tmp_path: Path
) -> None:
    (tmp_path / "images" / "broken.png").write_bytes(b"garbage")
    slide = SlideGeometry(
        background="#ffffff",
        elements=[
            image("/app_data/images/nope.png", x=10, y=10),
            image("/app_data/images/broken.png", x=10, y=360),
            image("https://example.com/x.png", x=600, y=10),
            image("javascript:alert(1)", x=600, y=360, fit="contain", radius=0),
        ],
    )
    prs = reopen(render_pptx(DeckGeometry(title="t", slides=[slide], fonts=[]), resolver))
    shapes = list(prs.slides[0].shapes)
    assert len(shapes) == 4
    assert all(s.shape_type == MSO_SHAPE_TYPE.GROUP for s in shapes)
    assert all(s.name == "image placeholder" for s in shapes)
    for shape, element in zip(shapes, slide.elements, strict=True):
        assert (shape.left, shape.top, shape.width, shape.height) == (
            emu(element.x),
            emu(element.y),
            emu(element.w),
            emu(element.h),
        )


def test_svg_icons_and_contained_images_are_pictures(resolver: AssetResolver) -> None:
    slide = SlideGeometry(
        background="#ffffff",
        elements=[
            image("/static/icons/bold/acorn.svg", x=100, y=100, fit="contain", radius=0),
            image("/app_data/images/photo.png", x=600, y=100, fit="contain", radius=0),
        ],
    )
    prs = reopen(render_pptx(DeckGeometry(title="t", slides=[slide], fonts=[]), resolver))
    pictures = [s for s in prs.slides[0].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 2
    icon, photo = pictures
    assert icon.image.content_type == "image/png"
    # Contained: the square icon is centred in the 480x320 box, the 2:1 photo fills its width.
    assert (icon.width, icon.height) == (Emu(emu(320)), Emu(emu(320)))
    assert icon.left == emu(100 + 80)
    assert (photo.width, photo.height) == (emu(480), emu(240))
    assert photo.top == emu(100 + 40)


def test_rtl_cjk_emoji_and_hostile_text_export(resolver: AssetResolver) -> None:
    deck = scripts_deck()
    prs = reopen(render_pptx(deck, resolver))
    assert prs.core_properties.title == deck.title
    slide = prs.slides[0]
    texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
    joined = "\n".join(texts)
    for sample in (ARABIC, HEBREW, CJK, EMOJI, EVIL):
        assert sample in joined.replace("\v", " ")
    arabic = next(s for s in slide.shapes if s.has_text_frame and s.text_frame.text == ARABIC)
    paragraph = arabic.text_frame.paragraphs[0]
    assert paragraph._p.pPr.get("rtl") == "1"
    cs = paragraph.runs[0].font._rPr.find(qn("a:cs"))
    assert cs is not None and cs.get("typeface") == "Noto Sans Arabic"
    assert slide.notes_slide.notes_text_frame.text.startswith(ARABIC)
    for geometry, drawn in zip(deck.slides, prs.slides, strict=True):
        for element in geometry.elements:
            if isinstance(element, TextElement):
                check_text(drawn, element)


def test_chart_without_data_is_drawn_from_its_parts(resolver: AssetResolver) -> None:
    pytest.importorskip("slidestream.render.charts")
    from slidestream.render.charts import chart_element
    from slidestream.render.model import Box

    chart = chart_element(
        Box(x=100, y=100, w=600, h=400),
        "pie",
        [],
        [],
        colors=["#112233"],
        font="Inter",
        font_size=16,
        text_color="#000000",
        grid_color="#cccccc",
    )
    slide = SlideGeometry(background="#ffffff", elements=[chart])
    prs = reopen(render_pptx(DeckGeometry(title="t", slides=[slide], fonts=[]), resolver))
    shapes = list(prs.slides[0].shapes)
    assert len(shapes) == 1 and shapes[0].shape_type == MSO_SHAPE_TYPE.GROUP
    inner_text = [s.text_frame.text for s in shapes[0].shapes if s.has_text_frame]
    assert "No data" in inner_text


@pytest.mark.parametrize("group", ["general", "modern", "standard", "swift"])
def test_decks_laid_out_by_the_geometry_export(resolver: AssetResolver, group: str) -> None:
    deck = geometry_deck(group)
    prs = reopen(render_pptx(deck, resolver))
    assert len(prs.slides) == len(deck.slides)
    for geometry, slide in zip(deck.slides, prs.slides, strict=True):
        assert slide.notes_slide.notes_text_frame.text == geometry.notes
        for element in geometry.elements:
            if isinstance(element, TextElement):
                check_text(slide, element)
            elif isinstance(element, TableElement) and element.row_heights:
                frame = shape_at(slide, element.x, element.y, element.w, element.h)
                assert frame.has_table
            elif isinstance(element, ChartElement) and element.categories:
                frame = shape_at(slide, element.x, element.y, element.w, element.h)
                assert frame.has_chart


def test_styles_follow_the_bundled_files() -> None:
    # A family without an italic file is drawn upright everywhere, as it is measured.
    assert drawn_style("Inter", False, True) == (False, True)
    assert drawn_style("Montserrat", False, True) == (False, False)
    assert drawn_style("Montserrat", True, True) == (True, False)
    assert drawn_style("Noto Sans Arabic", True, False) == (False, False)


def test_text_no_file_can_carry_is_dropped_not_fatal(resolver: AssetResolver) -> None:
    prs = reopen(render_pptx(broken_text_deck(), resolver))
    texts = [s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame]
    # Controls go, a lone surrogate becomes U+FFFD.
    assert "bad\ufffd end" in texts
    assert prs.core_properties.title == "bad\ufffd end"


def test_paragraph_lines_of_bullets_with_an_empty_item() -> None:
    element = text(
        "body",
        ["First point that is long enough to wrap here", "", "Last"],
        (0, 0, 260, 400),
        size=20,
        bullets=True,
    )
    groups = paragraph_lines(element)
    assert [g[0].bullet for g in groups] == [True, False, True]
    assert [line.text for line in groups[1]] == [""]
    assert len(groups[0]) > 1
