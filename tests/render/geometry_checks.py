"""Invariants every slide geometry must satisfy, shared by the render tests."""

from __future__ import annotations

from slidestream.render.fonts import text_width
from slidestream.render.model import (
    CANVAS_HEIGHT,
    CANVAS_WIDTH,
    Box,
    ChartElement,
    DeckGeometry,
    SlideGeometry,
    TableElement,
    TextElement,
)
from slidestream.render.text import ELLIPSIS, bullet_indent
from slidestream.templates.themes import Theme

EPS = 1e-6


def make_theme(**overrides: object) -> Theme:
    data: dict[str, object] = {
        "name": "test",
        "fonts": {"heading": "Montserrat", "body": "Inter", "heading_bold": True},
        "colors": {
            "background": "#ffffff",
            "surface": "#f3f4f6",
            "primary": "#1d4ed8",
            "accent": "#f59e0b",
            "text": "#111827",
            "muted": "#6b7280",
            "on_primary": "#ffffff",
            "border": "#d1d5db",
        },
        "chart_colors": ["#1d4ed8", "#f59e0b", "#10b981", "#ef4444"],
    }
    data.update(overrides)
    return Theme.model_validate(data)


def assert_inside(box: Box, outer: Box, what: str = "") -> None:
    assert box.w >= -EPS and box.h >= -EPS, f"negative size {what}: {box}"
    assert box.x >= outer.x - EPS, f"{what} left of its container: {box} in {outer}"
    assert box.y >= outer.y - EPS, f"{what} above its container: {box} in {outer}"
    assert box.x + box.w <= outer.x + outer.w + EPS, f"{what} right of container: {box}"
    assert box.y + box.h <= outer.y + outer.h + EPS, f"{what} below container: {box}"


CANVAS = Box(x=0, y=0, w=CANVAS_WIDTH, h=CANVAS_HEIGHT)


def check_text(el: TextElement) -> None:
    st = el.style
    assert st.size > 0
    pitch = st.size * st.line_height
    assert len(el.lines) * pitch <= el.h + EPS, (el.role, len(el.lines), pitch, el.h)
    previous = el.y - EPS
    for line in el.lines:
        width = text_width(line.text, st.font, st.size, st.bold, st.italic)
        assert abs(width - line.width) < 1e-6, (line.text, width, line.width)
        left = el.x + (bullet_indent(st.size) if el.bullets and line.bullet else 0.0)
        assert line.x >= left - EPS, (el.role, line)
        assert line.x + width <= el.x + el.w + EPS, (el.role, line.text, line.x + width, el)
        assert line.y >= previous, (el.role, line)
        assert line.y + pitch <= el.y + el.h + EPS, (el.role, line, el)
        previous = line.y + pitch - EPS
    if el.truncated and el.lines:
        assert el.lines[-1].text.endswith(ELLIPSIS) or el.lines[-1].text == "", el.lines[-1]


def check_chart(el: ChartElement) -> None:
    outer = Box(x=el.x, y=el.y, w=el.w, h=el.h)
    for part in el.parts:
        if part.box is not None:
            assert_inside(part.box, outer, f"chart {part.kind}")
        if part.center is not None:
            cx, cy = part.center
            r = part.radius
            assert_inside(Box(x=cx - r, y=cy - r, w=2 * r, h=2 * r), outer, f"chart {part.kind}")
        for px, py in part.points:
            assert_inside(Box(x=px, y=py, w=0, h=0), outer, "chart point")
        if part.kind == "label":
            assert part.box is not None and part.size > 0
            assert text_width(part.text, part.font, part.size) <= part.box.w + EPS, part
            assert part.size * 1.0 <= part.box.h + EPS
    for series in el.series:
        assert len(series.values) == len(el.categories)


def check_table(el: TableElement) -> None:
    outer = Box(x=el.x, y=el.y, w=el.w, h=el.h)
    assert abs(sum(el.col_widths) - el.w) < 1e-3
    assert abs(sum(el.row_heights) - el.h) < 1e-3
    assert len(el.row_heights) == len(el.rows) + 1 == len(el.cells)
    assert all(len(r) == len(el.header) for r in el.rows)
    for row in el.cells:
        assert len(row) == len(el.header)
        for cell in row:
            assert_inside(Box(x=cell.x, y=cell.y, w=cell.w, h=cell.h), outer, "table cell")
            check_text(cell)
            assert cell.style.size == el.font_size


def check_slide(slide: SlideGeometry) -> None:
    round_trip = SlideGeometry.model_validate_json(slide.model_dump_json())
    assert round_trip == slide
    assert slide.width == CANVAS_WIDTH and slide.height == CANVAS_HEIGHT
    for el in slide.elements:
        assert_inside(Box(x=el.x, y=el.y, w=el.w, h=el.h), CANVAS, el.type)
        if isinstance(el, TextElement):
            check_text(el)
        elif isinstance(el, ChartElement):
            check_chart(el)
        elif isinstance(el, TableElement):
            check_table(el)


def check_deck(deck: DeckGeometry) -> None:
    DeckGeometry.model_validate_json(deck.model_dump_json())
    for slide in deck.slides:
        check_slide(slide)


def texts(slide: SlideGeometry) -> list[TextElement]:
    out: list[TextElement] = []
    for el in slide.elements:
        if isinstance(el, TextElement):
            out.append(el)
        elif isinstance(el, TableElement):
            out.extend(cell for row in el.cells for cell in row)
    return out
