"""PowerPoint export: a deck's geometry as native, editable PPTX objects.

Slides are 1280 x 720 pt (one canvas unit is one point, 12,700 EMU). Text becomes native
text boxes with zero insets and no autofit: each paragraph keeps the lines the geometry
fitted it into, joined by soft line breaks, with word wrap off, so PowerPoint breaks lines
exactly where the web preview and the PDF do. Shapes, pictures, charts (from the chart's
data, in its colours) and tables are native objects too; nothing needs a browser.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.shapes.autoshape import Shape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.shapetree import GroupShapes, SlideShapes
from pptx.slide import Slide
from pptx.text.text import TextFrame, _Paragraph
from pptx.util import Emu

from slidestream.render import fonts
from slidestream.render.assets import AssetResolver, contain_box, cover_crop
from slidestream.render.model import (
    ChartElement,
    ChartPart,
    DeckGeometry,
    ImageElement,
    ShapeElement,
    SlideGeometry,
    TableElement,
    TextElement,
    TextLine,
)
from slidestream.render.text import clean_text

EMU_PER_UNIT = 12700
"""EMU per canvas unit: one unit is one point."""
BLANK_LAYOUT = 6
NO_TABLE_STYLE = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"
"""PowerPoint's built-in "No Style, No Grid" table style: fills and borders are our own."""
PLACEHOLDER_FILL = "#E8ECF2"
PLACEHOLDER_INK = "#B8C2D1"
BULLET_CHAR = "\u2022"

_ALIGN = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}
_ANCHOR = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE, "bottom": MSO_ANCHOR.BOTTOM}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

Shapes = SlideShapes | GroupShapes


def emu(value: float) -> Emu:
    """A canvas length in EMU."""
    return Emu(round(value * EMU_PER_UNIT))


_RGBColor: Any = RGBColor  # python-pptx leaves its constructors unannotated
_CategoryChartData: Any = CategoryChartData


def pt(points: float) -> Emu:
    """A length in points, exact to the hundredth of a point that PPTX stores sizes in."""
    return Emu(round(points * 100) * 127)


def rgb(color: str) -> RGBColor:
    value = color.lstrip("#")
    made: RGBColor = _RGBColor(int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
    return made


def _sub(parent: Any, tag: str) -> Any:
    """Append a new `tag` element (namespace-prefixed, e.g. `a:buChar`) to `parent`."""
    child = OxmlElement(tag)
    parent.append(child)
    return child


def clean(text: str, lines: bool = False) -> str:
    """Text XML can carry: no controls (tabs stay), lone surrogates or non-characters;
    line breaks become spaces unless `lines`."""
    text = _XML_ILLEGAL.sub("", clean_text(text))
    return text if lines else text.replace("\n", " ")


def render_pptx(deck: DeckGeometry, resolver: AssetResolver) -> bytes:
    """The deck as a .pptx file."""
    prs = Presentation()
    prs.slide_width = emu(1280)
    prs.slide_height = emu(720)
    prs.core_properties.title = clean(deck.title)[:255]
    layout = prs.slide_layouts[BLANK_LAYOUT]
    for geometry in deck.slides:
        slide = prs.slides.add_slide(layout)
        _draw_slide(slide, geometry, resolver)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _draw_slide(slide: Slide, geometry: SlideGeometry, resolver: AssetResolver) -> None:
    fill = slide.background.fill
    fill.solid()
    fill.fore_color.rgb = rgb(geometry.background)
    shapes = slide.shapes
    for element in geometry.elements:
        if isinstance(element, TextElement):
            add_text(shapes, element)
        elif isinstance(element, ShapeElement):
            add_shape(shapes, element)
        elif isinstance(element, ImageElement):
            add_image(shapes, element, resolver)
        elif isinstance(element, ChartElement):
            add_chart(shapes, element)
        elif isinstance(element, TableElement):
            add_table(shapes, element)
    if geometry.notes.strip():
        notes = slide.notes_slide.notes_text_frame
        if notes is not None:
            notes.text = clean(geometry.notes, lines=True)


# --- text ---------------------------------------------------------------------------------


def paragraph_lines(element: TextElement) -> list[list[TextLine]]:
    """The fitted lines grouped by the paragraph they belong to.

    Lines are matched against `paragraphs` by counting non-space characters, so a paragraph
    gets exactly the lines it was wrapped into; a line flagged `bullet` always starts a new
    paragraph, and a truncated tail stays with the last paragraph drawn."""
    lines = element.lines
    groups: list[list[TextLine]] = []
    index = 0
    for paragraph in element.paragraphs:
        if index >= len(lines):
            break
        need = _ink(paragraph)
        group = [lines[index]]
        got = _ink(lines[index].text)
        index += 1
        while got < need and index < len(lines) and not lines[index].bullet:
            group.append(lines[index])
            got += _ink(lines[index].text)
            index += 1
        groups.append(group)
    for line in lines[index:]:
        if line.bullet or not groups:
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _ink(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def _is_rtl(text: str) -> bool:
    """Whether the first strongly directional character is right-to-left."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _complex_script_family(family: str, text: str) -> str | None:
    """The bundled family that draws the right-to-left characters of `text`, if any."""
    for char in text:
        if unicodedata.bidirectional(char) in ("R", "AL"):
            found = fonts.family_for_char(family, char)
            if found is not None:
                return found
    return None


def add_text(shapes: Shapes, element: TextElement) -> Shape:
    box = shapes.add_textbox(emu(element.x), emu(element.y), emu(element.w), emu(element.h))
    box.name = clean(element.role)[:200] or "text"
    frame = box.text_frame
    _plain_frame(frame, element.valign)
    _fill_frame(frame, element)
    return box


def _plain_frame(frame: TextFrame, valign: str) -> None:
    frame.word_wrap = False
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = Emu(0)
    frame.vertical_anchor = _ANCHOR.get(valign, MSO_ANCHOR.TOP)


def _fill_frame(frame: Any, element: TextElement) -> None:
    style = element.style
    pitch = style.size * style.line_height
    groups = paragraph_lines(element) or [[]]
    previous_end: float | None = None
    for number, group in enumerate(groups):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        if element.bullets and group and group[0].bullet:
            indent = max(0.0, min(line.x for line in group) - element.x)
            _bullet(paragraph, indent, style.size)
        paragraph.alignment = _ALIGN[style.align]
        paragraph.line_spacing = pt(pitch)
        if previous_end is not None and group:
            gap = group[0].y - previous_end
            if gap > 0.5:
                paragraph.space_before = pt(gap)
        if group:
            previous_end = group[-1].y + pitch
        text = "".join(line.text for line in group)
        bulleted = element.bullets and bool(group) and group[0].bullet
        if _is_rtl(text) and not bulleted:
            # Right-to-left base direction, as the PDF and the web preview use for a line
            # that starts in a right-to-left script. Not for bulleted paragraphs: PowerPoint
            # would move their bullet to the right, where the geometry has none.
            paragraph._p.get_or_add_pPr().set("rtl", "1")
        cs_family = _complex_script_family(style.font, text)
        for position, line in enumerate(group):
            if position:
                _line_break(paragraph, style.size)
            run = paragraph.add_run()
            run.text = clean(line.text)
            _style_run(run.font, style.font, style.size, style.color, style.bold, style.italic)
            if cs_family:
                _typeface(run.font._rPr, "a:cs", cs_family)
        end = paragraph._p.get_or_add_endParaRPr()
        end.set("sz", str(round(style.size * 100)))


def drawn_style(family: str, bold: bool, italic: bool) -> tuple[bool, bool]:
    """The (bold, italic) the bundled files really have for a style: a family without an
    italic (or bold) file is drawn upright (or regular) in every export, as it is measured,
    rather than slanted (or emboldened) by whatever app opens the file."""
    stem = fonts.font_file(family, bold, italic).stem
    return "Bold" in stem, "Italic" in stem


def _style_run(
    font: Any, family: str, size: float, color: str, bold: bool = False, italic: bool = False
) -> None:
    name = fonts.resolve_family(family)
    font.name = name
    font.size = pt(size)
    font.bold, font.italic = drawn_style(name, bold, italic)
    font.color.rgb = rgb(color)


def _typeface(rpr: Any, tag: str, family: str) -> None:
    """Set the `a:ea` / `a:cs` typeface of a run (after `a:latin`, as the schema orders)."""
    found = rpr.find(qn(tag))
    if found is None:
        found = _sub(rpr, tag)
        latin = rpr.find(qn("a:latin"))
        if latin is not None:
            latin.addnext(found)
    found.set("typeface", family)


def _line_break(paragraph: Any, size: float) -> None:
    paragraph.add_line_break()
    br = paragraph._p.findall(qn("a:br"))[-1]
    rpr = _sub(br, "a:rPr")
    rpr.set("lang", "en-US")
    rpr.set("sz", str(round(size * 100)))


def _bullet(paragraph: _Paragraph, indent: float, size: float) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    hang = indent if indent > 0 else size * 0.9
    ppr.set("marL", str(int(emu(hang))))
    ppr.set("indent", str(-int(emu(hang))))
    _sub(ppr, "a:buFontTx")  # the bullet in the text's own font, as the other exports draw it
    bu_char = _sub(ppr, "a:buChar")
    bu_char.set("char", BULLET_CHAR)


# --- shapes and pictures ------------------------------------------------------------------

_SHAPES = {
    "rect": MSO_SHAPE.RECTANGLE,
    "rounded": MSO_SHAPE.ROUNDED_RECTANGLE,
    "ellipse": MSO_SHAPE.OVAL,
}


def add_shape(shapes: Shapes, element: ShapeElement) -> Any:
    if element.shape == "line":
        connector = shapes.add_connector(
            MSO_CONNECTOR.STRAIGHT,
            emu(element.x),
            emu(element.y),
            emu(element.x + element.w),
            emu(element.y + element.h),
        )
        color = element.stroke or element.fill or "#000000"
        connector.line.color.rgb = rgb(color)
        connector.line.width = pt(element.stroke_width or 1)
        _drop_theme_style(connector)
        return connector
    shape = _autoshape(
        shapes,
        _SHAPES[element.shape],
        element.x,
        element.y,
        element.w,
        element.h,
        fill=element.fill,
        stroke=element.stroke,
        stroke_width=element.stroke_width,
    )
    if element.shape == "rounded":
        _round(shape, element.radius, element.w, element.h)
    return shape


def _autoshape(
    shapes: Shapes,
    kind: MSO_SHAPE,
    x: float,
    y: float,
    w: float,
    h: float,
    fill: str | None,
    stroke: str | None = None,
    stroke_width: float = 0.0,
) -> Shape:
    shape = shapes.add_shape(kind, emu(x), emu(y), emu(max(w, 0)), emu(max(h, 0)))
    if fill:
        shape.fill.solid()
        shape.fill.fore_color.rgb = rgb(fill)
    else:
        shape.fill.background()
    if stroke and stroke_width > 0:
        shape.line.color.rgb = rgb(stroke)
        shape.line.width = pt(stroke_width)
    else:
        shape.line.fill.background()
    _drop_theme_style(shape)
    return shape


def _drop_theme_style(shape: Any) -> None:
    """Remove the theme style reference python-pptx gives new shapes: its effects draw a
    shadow in some apps, and every fill and line is set explicitly anyway."""
    element = shape._element
    style = element.find(qn("p:style"))
    if style is not None:
        element.remove(style)


def _round(shape: Any, radius: float, w: float, h: float) -> None:
    short = min(w, h)
    shape.adjustments[0] = 0.0 if short <= 0 else max(0.0, min(radius / short, 0.5))


def add_image(shapes: Shapes, element: ImageElement, resolver: AssetResolver) -> Any:
    image = resolver.load(element.src, element.w, element.h, element.fit, element.tint)
    if image is None:
        return add_placeholder(shapes, element.x, element.y, element.w, element.h, element.radius)
    x, y, w, h = element.x, element.y, element.w, element.h
    if element.fit == "contain":
        x, y, w, h = contain_box(image.aspect, x, y, w, h)
    picture = shapes.add_picture(io.BytesIO(image.data), emu(x), emu(y), emu(w), emu(h))
    if element.fit == "cover":
        cut_w, cut_h = cover_crop(image.aspect, w, h)
        picture.crop_left = picture.crop_right = cut_w / 2
        picture.crop_top = picture.crop_bottom = cut_h / 2
    if element.radius > 0:
        picture.auto_shape_type = MSO_SHAPE.ROUNDED_RECTANGLE
        pic: Any = picture._element
        geom = pic.spPr.find(qn("a:prstGeom"))
        if geom is not None:
            av = geom.find(qn("a:avLst"))
            if av is None:
                av = _sub(geom, "a:avLst")
            for child in list(av):
                av.remove(child)
            short = min(w, h)
            adj = 0 if short <= 0 else round(min(element.radius / short, 0.5) * 100000)
            gd = _sub(av, "a:gd")
            gd.set("name", "adj")
            gd.set("fmla", f"val {adj}")
    if element.alt:
        pic_element: Any = picture._element
        pic_element.nvPicPr.cNvPr.set("descr", clean(element.alt)[:1000])
    return picture


def add_placeholder(
    shapes: Shapes, x: float, y: float, w: float, h: float, radius: float = 0.0
) -> Any:
    """A neutral rounded box with a small picture glyph (a hill and a sun) in the middle."""
    group = shapes.add_group_shape()
    group.name = "image placeholder"
    inner = group.shapes
    box = _autoshape(inner, MSO_SHAPE.ROUNDED_RECTANGLE, x, y, w, h, fill=PLACEHOLDER_FILL)
    _round(box, radius if radius > 0 else min(w, h) * 0.06, w, h)
    glyph = max(min(w, h) * 0.3, 1.0)
    gx, gy = x + (w - glyph) / 2, y + (h - glyph) / 2
    _autoshape(
        inner,
        MSO_SHAPE.ISOSCELES_TRIANGLE,
        gx,
        gy + glyph * 0.35,
        glyph * 0.75,
        glyph * 0.65,
        fill=PLACEHOLDER_INK,
    )
    sun = glyph * 0.28
    _autoshape(inner, MSO_SHAPE.OVAL, gx + glyph - sun, gy, sun, sun, fill=PLACEHOLDER_INK)
    return group


# --- charts -------------------------------------------------------------------------------

_CHARTS = {
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "pie": XL_CHART_TYPE.PIE,
}


def add_chart(shapes: Shapes, element: ChartElement) -> Any:
    """A native chart from the element's data; a chart without data (drawn by the geometry
    as an empty, labelled frame) is drawn from its primitives instead."""
    empty_pie = element.chart == "pie" and (
        not element.series or sum(max(0.0, v) for v in element.series[0].values) <= 0
    )
    if not element.categories or not element.series or empty_pie:
        return add_chart_parts(shapes, element)
    data = _CategoryChartData()
    data.categories = [clean(c) or " " for c in element.categories]
    count = len(element.categories)
    series = element.series[:1] if element.chart == "pie" else element.series
    for item in series:
        values = [*item.values[:count], *([None] * max(0, count - len(item.values)))]
        data.add_series(clean(item.name) or " ", values)
    frame: Any = shapes.add_chart(
        _CHARTS[element.chart],
        emu(element.x),
        emu(element.y),
        emu(element.w),
        emu(element.h),
        data,
    )
    chart = frame.chart
    chart.has_title = False
    chart.font.name = fonts.resolve_family(element.font)
    chart.font.size = pt(element.font_size)
    chart.font.color.rgb = rgb(element.text_color)
    colors = element.colors or ["#4472C4"]
    plot = chart.plots[0]
    if element.chart == "pie":
        chart.has_legend = True
        legend = chart.legend
        legend.position = XL_LEGEND_POSITION.RIGHT
        legend.include_in_layout = False
        for index, point in enumerate(plot.series[0].points):
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = rgb(colors[index % len(colors)])
        return frame
    chart.has_legend = len(series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    for index, drawn in enumerate(plot.series):
        color = rgb(colors[index % len(colors)])
        if element.chart == "bar":
            drawn.format.fill.solid()
            drawn.format.fill.fore_color.rgb = color
        else:
            drawn.format.line.color.rgb = color
            drawn.format.line.width = pt(2.25)
            drawn.smooth = False
            marker = drawn.marker
            marker.format.fill.solid()
            marker.format.fill.fore_color.rgb = color
            marker.format.line.color.rgb = color
    if element.chart == "bar":
        plot.gap_width = 60
    for axis in (chart.category_axis, chart.value_axis):
        axis.format.line.color.rgb = rgb(element.text_color)
        axis.tick_labels.font.color.rgb = rgb(element.text_color)
    chart.value_axis.major_gridlines.format.line.color.rgb = rgb("#D9D9D9")
    return frame


_LOCAL = 100
"""Freeform coordinates are integers: draw them in hundredths of a canvas unit."""


def add_chart_parts(shapes: Shapes, element: ChartElement) -> Any:
    """The chart's primitives as plain shapes and text boxes, grouped."""
    group = shapes.add_group_shape()
    group.name = f"{element.chart} chart"
    inner = group.shapes
    for part in element.parts:
        if part.kind == "rect" and part.box is not None and part.box.w > 0 and part.box.h > 0:
            box = part.box
            _autoshape(inner, MSO_SHAPE.RECTANGLE, box.x, box.y, box.w, box.h, fill=part.color)
        elif part.kind == "dot" and part.center is not None and part.radius > 0:
            cx, cy, r = part.center[0], part.center[1], part.radius
            _autoshape(inner, MSO_SHAPE.OVAL, cx - r, cy - r, 2 * r, 2 * r, fill=part.color)
        elif part.kind == "polyline" and len(part.points) >= 2:
            _freeform(inner, part.points, None, part.color, part.width or 2.0)
        elif part.kind == "wedge" and part.center is not None and part.radius > 0:
            points = _wedge_points(part.center, part.radius, part.start_angle, part.end_angle)
            _freeform(inner, points, part.color, None, 0.0)
        elif part.kind == "label" and part.text.strip():
            _label(inner, part, element)
    return group


def _freeform(
    shapes: Shapes,
    points: Sequence[tuple[float, float]],
    fill: str | None,
    stroke: str | None,
    width: float,
) -> Any:
    scale = EMU_PER_UNIT / _LOCAL
    local = [(round(x * _LOCAL), round(y * _LOCAL)) for x, y in points]
    builder = shapes.build_freeform(local[0][0], local[0][1], scale=scale)
    builder.add_line_segments(local[1:], close=fill is not None)
    shape: Any = builder.convert_to_shape()
    if fill:
        shape.fill.solid()
        shape.fill.fore_color.rgb = rgb(fill)
    else:
        shape.fill.background()
    if stroke and width > 0:
        shape.line.color.rgb = rgb(stroke)
        shape.line.width = pt(width)
    else:
        shape.line.fill.background()
    _drop_theme_style(shape)
    return shape


def _wedge_points(
    center: tuple[float, float], radius: float, start: float, end: float
) -> list[tuple[float, float]]:
    """A pie wedge as a polygon; angles in degrees clockwise from 12 o'clock."""
    cx, cy = center
    steps = max(2, math.ceil(abs(end - start) / 3))
    points = [(cx, cy)]
    for i in range(steps + 1):
        angle = math.radians(start + (end - start) * i / steps)
        points.append((cx + radius * math.sin(angle), cy - radius * math.cos(angle)))
    return points


def _label(shapes: Shapes, part: ChartPart, chart: ChartElement) -> Any:
    size = part.size or chart.font_size
    family = fonts.resolve_family(part.font or chart.font)
    if part.box is not None:
        x, y, w, h = part.box.x, part.box.y, part.box.w, part.box.h
    else:
        cx, cy = part.center or (part.points[0] if part.points else (0.0, 0.0))
        w = fonts.text_width(part.text, family, size) + 2
        h = size * 1.25
        x = cx - (w / 2 if part.align == "center" else w if part.align == "right" else 0.0)
        y = cy - h / 2
    box = shapes.add_textbox(emu(x), emu(y), emu(w), emu(h))
    frame = box.text_frame
    _plain_frame(frame, "top")
    paragraph = frame.paragraphs[0]
    paragraph.alignment = _ALIGN[part.align]
    run = paragraph.add_run()
    run.text = clean(part.text)
    _style_run(run.font, family, size, part.color)
    return box


# --- tables -------------------------------------------------------------------------------


def _cell_texts(element: TableElement) -> list[list[TextElement | str]]:
    grid: list[list[TextElement | str]] = [
        list[TextElement | str](row) for row in [element.header, *element.rows]
    ]
    for r, row in enumerate(element.cells[: len(grid)]):
        for c, cell in enumerate(row[: len(element.col_widths)]):
            while len(grid[r]) <= c:
                grid[r].append("")
            grid[r][c] = cell
    return grid


def add_table(shapes: SlideShapes, element: TableElement) -> GraphicFrame | None:
    cols = len(element.col_widths)
    grid = _cell_texts(element)
    rows = min(len(grid), len(element.row_heights))
    if cols == 0 or rows == 0:
        return None
    heights = list(element.row_heights[:rows])
    frame = shapes.add_table(
        rows, cols, emu(element.x), emu(element.y), emu(element.w), emu(sum(heights))
    )
    table = frame.table
    tbl_pr: Any = table._tbl.tblPr
    tbl_pr.set("firstRow", "0")
    tbl_pr.set("bandRow", "0")
    style_id = tbl_pr.find(qn("a:tableStyleId"))
    if style_id is None:
        style_id = _sub(tbl_pr, "a:tableStyleId")
    style_id.text = NO_TABLE_STYLE
    for c, width in enumerate(element.col_widths):
        table.columns[c].width = emu(width)
    for r, height in enumerate(heights):
        table.rows[r].height = emu(height)
    top = element.y
    for r in range(rows):
        left = element.x
        fill = element.header_fill if r == 0 else _row_fill(element, r - 1)
        for c in range(cols):
            cell: Any = table.cell(r, c)
            value = grid[r][c] if c < len(grid[r]) else ""
            cell.fill.solid()
            cell.fill.fore_color.rgb = rgb(fill)
            _cell_borders(cell._tc, element.border)
            frame_text = cell.text_frame
            frame_text.word_wrap = False
            frame_text.auto_size = MSO_AUTO_SIZE.NONE
            if isinstance(value, TextElement):
                cell.margin_left = emu(max(0.0, value.x - left))
                cell.margin_right = emu(max(0.0, left + element.col_widths[c] - value.x - value.w))
                cell.margin_top = emu(max(0.0, value.y - top))
                cell.margin_bottom = emu(max(0.0, top + heights[r] - value.y - value.h))
                cell.vertical_anchor = _ANCHOR.get(value.valign, MSO_ANCHOR.TOP)
                _fill_frame(frame_text, value)
            else:
                cell.margin_left = cell.margin_right = emu(6)
                cell.margin_top = cell.margin_bottom = emu(4)
                cell.vertical_anchor = MSO_ANCHOR.MIDDLE
                paragraph = frame_text.paragraphs[0]
                run = paragraph.add_run()
                run.text = clean(value)
                color = element.header_color if r == 0 else element.text_color
                _style_run(run.font, element.font, element.font_size, color, bold=r == 0)
            left += element.col_widths[c]
        top += heights[r]
    return frame


def _row_fill(element: TableElement, body_row: int) -> str:
    fills: Sequence[str] = element.row_fills or ["#FFFFFF"]
    return fills[body_row % len(fills)]


def _cell_borders(tc: Any, color: str, width: float = 0.75) -> None:
    tc_pr = tc.get_or_add_tcPr()
    for tag in ("a:lnL", "a:lnR", "a:lnT", "a:lnB"):
        found = tc_pr.find(qn(tag))
        if found is not None:
            tc_pr.remove(found)
    for index, tag in enumerate(("a:lnL", "a:lnR", "a:lnT", "a:lnB")):
        line = OxmlElement(tag)
        line.set("w", str(int(emu(width))))
        line.set("cmpd", "sng")
        solid = _sub(line, "a:solidFill")
        srgb = _sub(solid, "a:srgbClr")
        srgb.set("val", color.lstrip("#").upper())
        tc_pr.insert(index, line)
