"""Web preview HTML: positioned lines, escaped text, safe image URLs, fonts, charts, tables."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bs4 import BeautifulSoup

from slidestream.render import fonts
from slidestream.render.html import (
    font_face_css,
    font_url,
    render_deck_html,
    render_slide_html,
    safe_image_src,
)
from slidestream.render.model import (
    ChartElement,
    ChartPart,
    ChartSeries,
    DeckGeometry,
    SlideGeometry,
    TableElement,
    TextElement,
)
from tests.render.export_decks import (
    ARABIC,
    CJK,
    EMOJI,
    EVIL,
    HEBREW,
    broken_text_deck,
    geometry_deck,
    image,
    pie_chart,
    sample_deck,
    scripts_deck,
    table,
    text,
)


def soup(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def style_of(tag: Any) -> dict[str, str]:
    pairs = [p.split(":", 1) for p in tag["style"].split(";") if ":" in p]
    return {k.strip(): v.strip() for k, v in pairs}


def px(value: str) -> float:
    return float(value.removesuffix("px"))


def no_markup_from_content(markup: str) -> None:
    doc = soup(markup)
    assert not doc.find_all("script")
    assert not [t for t in doc.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    for img in doc.find_all("img"):
        assert str(img["src"]).startswith(("/static/", "/app_data/"))


def test_hostile_text_is_escaped_everywhere() -> None:
    evil_chart = ChartElement(
        **pie_chart().model_dump(exclude={"parts", "series", "type"}),
        series=[ChartSeries(name=EVIL, values=[1, 2, 3])],
        parts=[ChartPart(kind="label", color="#000000", text=EVIL, size=12, center=(10, 10))],
    )
    evil_table = table()
    evil_table.cells[1][0] = text("cell", [EVIL], (92, 216, 276, 28), size=18)
    slide = SlideGeometry(
        background="#ffffff",
        layout='x" onmouseover="alert(3)',
        kind="<b>",
        notes=EVIL,
        elements=[
            text('role" onclick="alert(4)', [EVIL], (80, 80, 1100, 100), size=20),
            image('/app_data/images/a".png onerror="alert(5)'),
            evil_chart,
            evil_table,
        ],
    )
    markup = render_slide_html(slide)
    assert "<script>" not in markup
    assert "<img src=x" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "&quot;quoted&quot;" in markup
    assert "&amp; &lt;img src=x onerror=alert(2)&gt;" in markup
    no_markup_from_content(markup)
    doc = soup(markup)
    # The text survives as text: exactly what the geometry laid out.
    lines = [d.get_text() for d in doc.select(".ss-line")]
    assert any(EVIL.startswith(line) or line in EVIL for line in lines if line)
    assert "".join(lines).count("<script>") >= 2
    slide_div = doc.select_one(".ss-slide")
    assert slide_div is not None and slide_div["data-layout"] == 'x" onmouseover="alert(3)'
    # A source with a quote in it is not a path the app serves: a placeholder is drawn.
    assert doc.find("img") is None
    assert "alert(5)" not in markup
    deck = DeckGeometry(title=EVIL, slides=[slide], fonts=["Inter"])
    page = render_deck_html(deck)
    assert f"<title>{EVIL}</title>" not in page
    assert "<title>&lt;script&gt;" in page
    no_markup_from_content(page)


@pytest.mark.parametrize(
    "src",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "https://example.com/x.png",
        "//example.com/x.png",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "/static/../../etc/passwd",
        "/app_data/images/../../secret.png",
        "/app_data\\images\\x.png",
        "/app_data/images/x.png\nfoo",
        "",
    ],
)
def test_unsafe_image_sources_become_placeholders(src: str) -> None:
    assert safe_image_src(src) is None
    slide = SlideGeometry(background="#ffffff", elements=[image(src)])
    doc = soup(render_slide_html(slide))
    assert doc.find("img") is None
    placeholder = doc.select_one(".ss-placeholder")
    assert placeholder is not None
    assert style_of(placeholder)["left"] == "700px"
    assert src.strip() == "" or src not in str(doc)


@pytest.mark.parametrize(
    "src", ["/static/icons/bold/acorn.svg", "/app_data/images/photo.png", "/static/x-1_a.png"]
)
def test_served_image_sources_are_kept(src: str) -> None:
    assert safe_image_src(src) == src
    slide = SlideGeometry(background="#ffffff", elements=[image(src, fit="contain", radius=8)])
    img = soup(render_slide_html(slide)).find("img")
    assert img is not None and img["src"] == src and img["alt"] == "A photo"
    css = style_of(img)
    assert css["object-fit"] == "contain" and css["border-radius"] == "8px"
    assert (css["left"], css["top"], css["width"], css["height"]) == (
        "700px",
        "160px",
        "480px",
        "320px",
    )


def test_every_line_is_positioned_with_white_space_pre() -> None:
    deck = sample_deck()
    for slide in deck.slides:
        doc = soup(render_slide_html(slide))
        root = doc.select_one(".ss-slide")
        assert root is not None
        css = style_of(root)
        assert (css["width"], css["height"], css["background"]) == (
            "1280px",
            "720px",
            slide.background,
        )
        boxes = doc.select(".ss-slide > .ss-text")
        texts = [e for e in slide.elements if isinstance(e, TextElement)]
        assert len(boxes) == len(texts)
        for box, element in zip(boxes, texts, strict=True):
            outer = style_of(box)
            assert px(outer["left"]) == pytest.approx(element.x, abs=0.01)
            assert px(outer["top"]) == pytest.approx(element.y, abs=0.01)
            assert px(outer["font-size"]) == pytest.approx(element.style.size, abs=0.01)
            assert outer["color"] == element.style.color
            assert outer["font-family"].startswith(f"'{fonts.resolve_family(element.style.font)}'")
            drawn = box.select(".ss-line")
            lines = [line for line in element.lines if line.text]
            assert [d.get_text() for d in drawn] == [line.text for line in lines]
            for div, line in zip(drawn, lines, strict=True):
                css = style_of(div)
                assert css["white-space"] == "pre"
                assert px(css["left"]) == pytest.approx(line.x - element.x, abs=0.01)
                assert px(css["top"]) == pytest.approx(line.y - element.y, abs=0.01)
                assert px(css["width"]) == pytest.approx(line.width, abs=0.01)
            bullets = box.select(".ss-bullet")
            assert len(bullets) == sum(1 for line in element.lines if line.bullet)


def test_line_height_puts_the_baseline_at_top_plus_ascent() -> None:
    element = text("title", ["Hello"], (0, 0, 400, 100), size=40, font="Lora")
    box = soup(render_slide_html(SlideGeometry(background="#ffffff", elements=[element])))
    css = style_of(box.select_one(".ss-text"))
    metrics = fonts.font_metrics("Lora")
    # With the line box exactly ascent + descent high there is no half-leading: the
    # baseline sits at the line's top plus the ascent, as in the PDF.
    assert px(css["line-height"]) == pytest.approx(
        (metrics.ascent_em + metrics.descent_em) * 40, abs=0.01
    )
    faces = font_face_css(["Lora"])
    assert f"ascent-override:{round(metrics.ascent_em * 100, 2):g}%" in faces


def test_fonts_are_declared_at_static_font_urls() -> None:
    assert font_url("Inter") == "/static/fonts/Inter/Inter-Regular.ttf"
    assert font_url("Inter", bold=True) == "/static/fonts/Inter/Inter-Bold.ttf"
    assert font_url("IBM Plex Sans") == "/static/fonts/IBM%20Plex%20Sans/IBMPlexSans-Regular.ttf"
    assert font_url("no such font") == "/static/fonts/Inter/Inter-Regular.ttf"
    css = font_face_css(["Montserrat"])
    faces = re.findall(r"@font-face\{[^}]*\}", css)
    families = {re.search(r"font-family:'([^']+)'", f).group(1) for f in faces}  # type: ignore[union-attr]
    assert families == {
        "Montserrat",
        "Noto Sans",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
        "Droid Sans Fallback",
    }
    # Montserrat has no italic file: italic maps to the regular file, as it is measured.
    italic = next(
        f
        for f in faces
        if "'Montserrat'" in f and "font-style:italic;" in f and "font-weight:400" in f
    )
    assert "/static/fonts/Montserrat/Montserrat-Regular.ttf" in italic
    page = render_deck_html(sample_deck())
    assert "/static/fonts/Inter/Inter-Bold.ttf" in page
    assert "/static/fonts/Noto%20Sans%20Arabic/NotoSansArabic-Regular.ttf" in page


def test_charts_are_inline_svg_from_their_parts() -> None:
    deck = sample_deck()
    doc = soup(render_deck_html(deck))
    charts = doc.select("svg.ss-chart")
    drawn = [e for s in deck.slides for e in s.elements if isinstance(e, ChartElement)]
    assert len(charts) == len(drawn) == 3
    for svg, element in zip(charts, drawn, strict=True):
        assert svg["viewbox"] == (  # html.parser lowercases attribute names
            f"{element.x:g} {element.y:g} {element.w:g} {element.h:g}"
        )
        kinds = {p.kind for p in element.parts}
        if "rect" in kinds:
            assert len(svg.find_all("rect")) == sum(p.kind == "rect" for p in element.parts)
        if "wedge" in kinds:
            paths = svg.find_all("path")
            assert len(paths) == 3
            # The first wedge starts at 12 o'clock: centre, then straight up by the radius.
            assert str(paths[0]["d"]).startswith("M900 360L900 210A150 150 0 0 1 900 510")
        if "polyline" in kinds:
            polyline: Any = svg.find("polyline")
            assert str(polyline["points"]).startswith("100,500 260,400")
        labels = [p.text for p in element.parts if p.kind == "label"]
        assert [t.get_text() for t in svg.find_all("text")] == labels


def test_tables_are_positioned_cells() -> None:
    element = table()
    doc = soup(render_slide_html(SlideGeometry(background="#ffffff", elements=[element])))
    root = doc.select_one(".ss-table")
    assert root is not None
    css = style_of(root)
    assert (px(css["left"]), px(css["top"])) == (element.x, element.y)
    rects = root.find_all("rect")
    assert [r["fill"] for r in rects] == [element.header_fill, *element.row_fills]
    cells = root.select(".ss-text")
    flat = [c for row in element.cells for c in row]
    assert len(cells) == len(flat)
    for div, cell in zip(cells, flat, strict=True):
        cell_css = style_of(div)
        assert px(cell_css["left"]) == pytest.approx(cell.x - element.x, abs=0.01)
        assert div.get_text() == "".join(line.text for line in cell.lines)
    assert "Team &amp; Co" in str(root)


def test_rtl_cjk_and_emoji_text_render() -> None:
    deck = scripts_deck()
    page = render_deck_html(deck)
    doc = soup(page)
    text_content = doc.get_text()
    for sample in (ARABIC, HEBREW, CJK, EMOJI):
        assert sample in text_content
    assert all(d["dir"] == "auto" for d in doc.select(".ss-line"))
    assert EVIL not in page
    no_markup_from_content(page)


def test_deck_page_scales_each_slide() -> None:
    page = render_deck_html(sample_deck())
    assert page.startswith("<!DOCTYPE html>")
    doc = soup(page)
    frames = doc.select("section.ss-frame > .ss-slide")
    assert len(frames) == 4
    assert "container-type:inline-size" in page and "transform:scale(" in page


@pytest.mark.parametrize("group", ["general", "modern", "standard", "swift"])
def test_decks_laid_out_by_the_geometry_render(group: str) -> None:
    deck = geometry_deck(group)
    page = render_deck_html(deck)
    no_markup_from_content(page)
    doc = soup(page)
    slides = doc.select(".ss-slide")
    assert len(slides) == len(deck.slides)
    for slide, div in zip(deck.slides, slides, strict=True):
        expected = [
            line.text
            for e in slide.elements
            for element in (
                [e]
                if isinstance(e, TextElement)
                else [c for row in e.cells for c in row]
                if isinstance(e, TableElement)
                else []
            )
            for line in element.lines
            if line.text
        ]
        assert [d.get_text() for d in div.select(".ss-line")] == expected


def test_text_no_page_can_carry_is_dropped_not_fatal() -> None:
    page = render_deck_html(broken_text_deck())
    page.encode("utf-8")
    doc = soup(page)
    assert "bad\ufffd\ufffe end" in [d.get_text() for d in doc.select(".ss-line")]
    assert doc.find("img") is None


@pytest.mark.parametrize(
    "src",
    [
        '/static/x");background:url("https://evil.example/p.png");position:fixed;x:url("y.svg',
        "/app_data/%2e%2e/api/v1/ppt/images/generate?prompt=x",
        "/static/x.png?v=1",
        "/static/a b.png",
        "/static/x(1).svg",
    ],
)
def test_sources_that_could_escape_a_url_or_a_path_are_refused(src: str) -> None:
    assert safe_image_src(src) is None
    icon = image(src, fit="contain", radius=0).model_copy(update={"tint": "#112233"})
    markup = render_slide_html(SlideGeometry(background="#ffffff", elements=[icon]))
    assert "evil.example" not in markup and "%2e" not in markup and "generate" not in markup
