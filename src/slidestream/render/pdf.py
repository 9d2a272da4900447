"""PDF export: a deck's geometry drawn with fpdf2, one 1280 x 720 pt page per slide.

Every fitted line is drawn where the geometry put it (baseline at the line's top plus the
font's ascent), in the bundled TTF fonts, embedded as subsets, so the text is selectable
and wraps exactly as in the web preview and the PPTX. A character the theme's font lacks is
drawn from the bundled fallback fonts (Noto Sans, Noto Sans Arabic, Noto Sans Hebrew).
Characters no bundled font has (CJK, emoji) are left out of the drawing; fpdf2 logs a
warning and the export goes on.

Right-to-left and complex scripts need shaping (joining forms, bidi order). When uharfbuzz
is installed and works, lines that contain such characters are shaped with it; other lines
are drawn unshaped, which is exactly how the geometry measured them (advance widths, no
kerning).
"""

from __future__ import annotations

import importlib
import io
import logging
import math
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Literal

from fpdf import FPDF

from slidestream.render import fonts
from slidestream.render.assets import AssetResolver, contain_box
from slidestream.render.model import (
    CANVAS_HEIGHT,
    CANVAS_WIDTH,
    ChartElement,
    ChartPart,
    DeckGeometry,
    ImageElement,
    ShapeElement,
    SlideGeometry,
    TableElement,
    TextElement,
    TextStyle,
)
from slidestream.render.text import clean_text

log = logging.getLogger(__name__)

BULLET = "\u2022"
PLACEHOLDER_FILL = "#e8ecf2"
PLACEHOLDER_INK = "#b8c2d1"
WEDGE_STEP_DEGREES = 3.0
_ALIGN = {"left": "L", "center": "C", "right": "R"}
_STYLE_SUFFIX = {"Regular": "", "Bold": "B", "Italic": "I", "BoldItalic": "BI"}
Align = Literal["left", "center", "right"]


def render_pdf(deck: DeckGeometry, resolver: AssetResolver) -> bytes:
    """The deck as a PDF file."""
    pdf = _Canvas(resolver)
    pdf.set_title(_clean(deck.title))
    for slide in deck.slides:
        pdf.draw_slide(slide)
    if not deck.slides:
        pdf.add_page()
    return bytes(pdf.output())


def needs_shaping(text: str) -> bool:
    """Whether `text` has characters that only draw right after shaping: right-to-left
    scripts, Indic and South-East Asian scripts, and combining marks."""
    for char in text:
        cp = ord(char)
        if cp < 0x0300:
            continue
        if unicodedata.bidirectional(char) in ("R", "AL", "AN"):
            return True
        if 0x0900 <= cp <= 0x0DFF or 0x0E00 <= cp <= 0x0EFF or 0x1000 <= cp <= 0x109F:
            return True
        if unicodedata.category(char) == "Mn":
            return True
    return False


@lru_cache(maxsize=1)
def shaping_available() -> bool:
    """Whether uharfbuzz is installed and fpdf2 shapes text with it here."""
    try:
        importlib.import_module("uharfbuzz")
        probe = FPDF(unit="pt", format=(200, 100))
        probe.add_page()
        probe.add_font("probe", "", str(fonts.font_file("Noto Sans Arabic")))
        probe.set_font("probe", "", 12)
        probe.set_text_shaping(True)
        probe.set_xy(10, 10)
        probe.cell(w=150, h=12, text="\u0645\u0631\u062d\u0628\u0627")
        probe.output()
    except Exception as exc:  # no uharfbuzz, or a broken one: draw unshaped
        log.info("text shaping unavailable, right-to-left text is drawn unshaped: %s", exc)
        return False
    return True


def _hex(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _font_style(path: Path) -> str:
    """fpdf2's style letters for a bundled TTF, from its file name (`Inter-Bold.ttf`)."""
    return _STYLE_SUFFIX.get(path.stem.rsplit("-", 1)[-1], "")


def _clean(text: str) -> str:
    """One line of text fpdf2 can encode: no lone surrogates, no controls (they were
    measured as nothing, so they must draw nothing)."""
    return "".join(c for c in clean_text(text) if unicodedata.category(c) != "Cc")


class _Canvas(FPDF):
    """An FPDF document in canvas units (points) that knows how to draw slide elements."""

    def __init__(self, resolver: AssetResolver) -> None:
        super().__init__(orientation="P", unit="pt", format=(CANVAS_WIDTH, CANVAS_HEIGHT))
        self.resolver = resolver
        self.set_auto_page_break(False)
        self.set_margin(0)
        self.c_margin = 0
        self.set_creator("slidestream")
        self._fonts_added: set[tuple[str, str]] = set()
        self._shaping_on = False
        self._fallbacks: tuple[str, ...] = ()
        self._shaping = shaping_available()

    # --- fonts ----------------------------------------------------------------------------

    def use_font(self, family: str, bold: bool, italic: bool, size: float) -> str:
        """Select a bundled font (adding it on first use); answers the family name."""
        name = fonts.resolve_family(family)
        style = self._ensure_font(name, bold, italic)
        self.set_font(name, style, size)
        return name

    def _ensure_font(self, family: str, bold: bool, italic: bool) -> str:
        path = fonts.font_file(family, bold, italic)
        style = _font_style(path)
        if (family, style) not in self._fonts_added:
            self.add_font(family, style, str(path))
            self._fonts_added.add((family, style))
        return style

    def _set_fallbacks(self, family: str, text: str, bold: bool, italic: bool) -> None:
        needed: list[str] = []
        for char in set(text):
            if char.isspace() or fonts.covers(family, char, bold, italic):
                continue
            found = fonts.family_for_char(family, char, bold, italic)
            if found is not None and found != family and found not in needed:
                needed.append(found)
        order = fonts.fallback_families(family)
        chosen = tuple(sorted(needed, key=lambda f: order.index(f) if f in order else 99))
        for fallback in chosen:
            self._ensure_font(fallback, bold, italic)
        if chosen != self._fallbacks:
            self.set_fallback_fonts(list(chosen), exact_match=False)
            self._fallbacks = chosen

    def _set_shaping(self, text: str) -> None:
        wanted = self._shaping and needs_shaping(text)
        if wanted != self._shaping_on:
            self.set_text_shaping(wanted)
            self._shaping_on = wanted

    # --- slides ---------------------------------------------------------------------------

    def draw_slide(self, slide: SlideGeometry) -> None:
        self.add_page(format=(slide.width, slide.height))
        self.set_fill_color(*_hex(slide.background))
        self.rect(0, 0, slide.width, slide.height, "F")
        for element in slide.elements:
            if isinstance(element, TextElement):
                self.draw_text(element)
            elif isinstance(element, ShapeElement):
                self.draw_shape(element)
            elif isinstance(element, ImageElement):
                self.draw_image(element)
            elif isinstance(element, ChartElement):
                self.draw_chart(element)
            elif isinstance(element, TableElement):
                self.draw_table(element)

    # --- text -----------------------------------------------------------------------------

    def draw_text(self, element: TextElement) -> None:
        style = element.style
        for line in element.lines:
            if line.bullet:
                self.draw_line(BULLET, element.x, line.y, 0.0, style, "left")
            if line.text.strip():
                self.draw_line(line.text, line.x, line.y, line.width, style, style.align)

    def draw_line(
        self, text: str, x: float, top: float, width: float, style: TextStyle, align: Align
    ) -> None:
        """One line of text whose line box starts at (x, top): baseline at top + ascent."""
        self.draw_string(
            text,
            x,
            top,
            width,
            style.font,
            style.size,
            style.color,
            style.bold,
            style.italic,
            align,
        )

    def draw_string(
        self,
        text: str,
        x: float,
        top: float,
        width: float,
        family: str,
        size: float,
        color: str,
        bold: bool = False,
        italic: bool = False,
        align: Align = "left",
    ) -> None:
        text = _clean(text)
        if not text.strip() or size <= 0:
            return
        name = self.use_font(family, bold, italic, size)
        self._set_fallbacks(name, text, bold, italic)
        self._set_shaping(text)
        self.set_text_color(*_hex(color))
        baseline = top + fonts.font_metrics(name, bold, italic).ascent_em * size
        # fpdf2 puts a cell's baseline at y + h/2 + 0.3 * font size; with h = size that is
        # y + 0.8 * size.
        self.set_xy(x, baseline - 0.8 * size)
        # Select the font for the page outside the line's own graphics state: fpdf2 2.8 may
        # select it inside a q/Q pair it wraps around lines that switch to a fallback font,
        # and would then believe it still selected for the next line.
        assert self.current_font is not None
        self._out(self._set_font_for_page(self.current_font, self.font_size_pt))
        self.cell(w=max(width, 0.01), h=size, text=text, align=_ALIGN[align])

    # --- shapes ---------------------------------------------------------------------------

    def _paint(self, fill: str | None, stroke: str | None, stroke_width: float) -> str:
        style = ""
        if fill:
            self.set_fill_color(*_hex(fill))
            style += "F"
        if stroke and stroke_width > 0:
            self.set_draw_color(*_hex(stroke))
            self.set_line_width(stroke_width)
            style = "D" + style
        return style

    def draw_shape(self, element: ShapeElement) -> None:
        x, y, w, h = element.x, element.y, element.w, element.h
        if element.shape == "line":
            color = element.stroke or element.fill
            if color:
                self.set_draw_color(*_hex(color))
                self.set_line_width(element.stroke_width or 1.0)
                self.line(x, y, x + w, y + h)
            return
        style = self._paint(element.fill, element.stroke, element.stroke_width)
        if not style or w <= 0 or h <= 0:
            return
        if element.shape == "ellipse":
            self.ellipse(x, y, w, h, style)
        elif element.shape == "rounded":
            self.rounded_rect(x, y, w, h, element.radius, style)
        else:
            self.rect(x, y, w, h, style)

    def rounded_rect(self, x: float, y: float, w: float, h: float, r: float, style: str) -> None:
        # fpdf2 reads a radius of 0 as "a fifth of the short side" and one of half the short
        # side or more as a fraction: keep it strictly between.
        r = min(r, min(w, h) / 2 - 0.01)
        if r <= 0.01:
            self.rect(x, y, w, h, style)
        else:
            self.rect(x, y, w, h, style, round_corners=True, corner_radius=r)

    # --- images ---------------------------------------------------------------------------

    @contextmanager
    def rounded_clip(self, x: float, y: float, w: float, h: float, r: float) -> Iterator[None]:
        """Clip what is drawn inside to a (rounded) rectangle."""
        r = max(0.0, min(r, w / 2, h / 2))
        if r <= 0.01:
            with self.rect_clip(x, y, w, h):
                yield
            return
        k, top = self.k, self.h
        c = r * (1 - 0.5522847498)

        def pt(px: float, py: float) -> str:
            return f"{px * k:.2f} {(top - py) * k:.2f}"

        path = " ".join(
            [
                f"{pt(x + r, y)} m",
                f"{pt(x + w - r, y)} l",
                f"{pt(x + w - c, y)} {pt(x + w, y + c)} {pt(x + w, y + r)} c",
                f"{pt(x + w, y + h - r)} l",
                f"{pt(x + w, y + h - c)} {pt(x + w - c, y + h)} {pt(x + w - r, y + h)} c",
                f"{pt(x + r, y + h)} l",
                f"{pt(x + c, y + h)} {pt(x, y + h - c)} {pt(x, y + h - r)} c",
                f"{pt(x, y + r)} l",
                f"{pt(x, y + c)} {pt(x + c, y)} {pt(x + r, y)} c",
                "h W n",
            ]
        )
        self._out(f"q {path}")
        try:
            yield
        finally:
            self._out("Q")

    def draw_image(self, element: ImageElement) -> None:
        x, y, w, h = element.x, element.y, element.w, element.h
        if w <= 0 or h <= 0:
            return
        image = self.resolver.load(element.src, w, h, element.fit, element.tint)
        if image is None:
            self.placeholder(x, y, w, h, element.radius)
            return
        data = io.BytesIO(image.data)
        if element.fit == "contain":
            cx, cy, cw, ch = contain_box(image.aspect, x, y, w, h)
            if element.radius > 0:
                with self.rounded_clip(cx, cy, cw, ch, element.radius):
                    self.image(data, cx, cy, cw, ch, alt_text=element.alt or None)
            else:
                self.image(data, cx, cy, cw, ch, alt_text=element.alt or None)
            return
        if image.aspect > w / h:
            dw, dh = h * image.aspect, h
        else:
            dw, dh = w, w / image.aspect
        with self.rounded_clip(x, y, w, h, element.radius):
            self.image(
                data, x - (dw - w) / 2, y - (dh - h) / 2, dw, dh, alt_text=element.alt or None
            )

    def placeholder(self, x: float, y: float, w: float, h: float, radius: float = 0.0) -> None:
        """A neutral rounded box with a small picture glyph (a hill and a sun)."""
        self.set_fill_color(*_hex(PLACEHOLDER_FILL))
        self.rounded_rect(x, y, w, h, radius if radius > 0 else min(w, h) * 0.06, "F")
        glyph = max(min(w, h) * 0.3, 1.0)
        gx, gy = x + (w - glyph) / 2, y + (h - glyph) / 2
        self.set_fill_color(*_hex(PLACEHOLDER_INK))
        self.polygon(
            [
                (gx, gy + glyph),
                (gx + glyph * 0.375, gy + glyph * 0.35),
                (gx + glyph * 0.75, gy + glyph),
            ],
            style="F",
        )
        sun = glyph * 0.28
        self.ellipse(gx + glyph - sun, gy, sun, sun, "F")

    # --- charts ---------------------------------------------------------------------------

    def draw_chart(self, element: ChartElement) -> None:
        for part in element.parts:
            self.draw_part(part, element)

    def draw_part(self, part: ChartPart, chart: ChartElement) -> None:
        if part.kind == "rect" and part.box is not None:
            if part.box.w > 0 and part.box.h > 0:
                self.set_fill_color(*_hex(part.color))
                self.rect(part.box.x, part.box.y, part.box.w, part.box.h, "F")
        elif part.kind == "wedge" and part.center is not None and part.radius > 0:
            points = wedge_points(part.center, part.radius, part.start_angle, part.end_angle)
            self.set_fill_color(*_hex(part.color))
            if abs(part.end_angle - part.start_angle) >= 359.99:
                cx, cy = part.center
                self.ellipse(
                    cx - part.radius, cy - part.radius, 2 * part.radius, 2 * part.radius, "F"
                )
            else:
                self.polygon(points, style="F")
        elif part.kind == "polyline" and len(part.points) >= 2:
            self.set_draw_color(*_hex(part.color))
            self.set_line_width(part.width or 2.0)
            self.polyline(list(part.points), style="D")
        elif part.kind == "dot" and part.center is not None and part.radius > 0:
            cx, cy = part.center
            self.set_fill_color(*_hex(part.color))
            self.ellipse(cx - part.radius, cy - part.radius, 2 * part.radius, 2 * part.radius, "F")
        elif part.kind == "label" and part.text.strip():
            self.draw_label(part, chart)

    def draw_label(self, part: ChartPart, chart: ChartElement) -> None:
        size = part.size or chart.font_size
        family = fonts.resolve_family(part.font or chart.font)
        x, top, width = label_origin(part, family, size)
        self.draw_string(part.text, x, top, width, family, size, part.color, align=part.align)

    # --- tables ---------------------------------------------------------------------------

    def draw_table(self, element: TableElement) -> None:
        cols = element.col_widths
        heights = element.row_heights
        if not cols or not heights:
            return
        top = element.y
        for r, height in enumerate(heights):
            if r == 0:
                fill = element.header_fill
            else:
                fills = element.row_fills or ["#ffffff"]
                fill = fills[(r - 1) % len(fills)]
            self.set_fill_color(*_hex(fill))
            self.rect(element.x, top, sum(cols), height, "F")
            top += height
        self.set_draw_color(*_hex(element.border))
        self.set_line_width(0.75)
        total_w, total_h = sum(cols), sum(heights)
        y = element.y
        for height in [0.0, *heights]:
            y += height
            self.line(element.x, y, element.x + total_w, y)
        x = element.x
        for width in [0.0, *cols]:
            x += width
            self.line(x, element.y, x, element.y + total_h)
        if element.cells:
            for row in element.cells:
                for cell in row:
                    self.draw_text(cell)
            return
        self._table_strings(element)

    def _table_strings(self, element: TableElement) -> None:
        """Unfitted tables (no `cells`): each string on one line, vertically centred."""
        top = element.y
        grid = [element.header, *element.rows]
        for r, (row, height) in enumerate(zip(grid, element.row_heights, strict=False)):
            left = element.x
            color = element.header_color if r == 0 else element.text_color
            size = element.font_size
            ascent = fonts.font_metrics(element.font).ascent_em * size
            descent = fonts.font_metrics(element.font).descent_em * size
            for value, width in zip(row, element.col_widths, strict=False):
                line_top = top + (height - ascent - descent) / 2
                self.draw_string(
                    value, left + 6, line_top, width - 12, element.font, size, color, r == 0
                )
                left += width
            top += height


def wedge_points(
    center: tuple[float, float], radius: float, start: float, end: float
) -> list[tuple[float, float]]:
    """A pie wedge as a polygon: the centre, then the arc from `start` to `end` (degrees,
    clockwise from 12 o'clock)."""
    cx, cy = center
    sweep = end - start
    steps = max(2, math.ceil(abs(sweep) / WEDGE_STEP_DEGREES))
    points = [(cx, cy)]
    for i in range(steps + 1):
        angle = math.radians(start + sweep * i / steps)
        points.append((cx + radius * math.sin(angle), cy - radius * math.cos(angle)))
    return points


def label_origin(part: ChartPart, family: str, size: float) -> tuple[float, float, float]:
    """Where a chart label's line box starts (x, top) and how wide its cell is: a label
    with a box is a line whose top is the box's top; one with only a point is centred on
    it vertically and placed by its alignment horizontally."""
    metrics = fonts.font_metrics(family)
    text_h = (metrics.ascent_em + metrics.descent_em) * size
    text_w = fonts.text_width(part.text, family, size)
    if part.box is not None:
        # A label's box is one line high, its top the line's top.
        return part.box.x, part.box.y, part.box.w
    cx, cy = part.center or (part.points[0] if part.points else (0.0, 0.0))
    if part.align == "center":
        x = cx - text_w / 2
    elif part.align == "right":
        x = cx - text_w
    else:
        x = cx
    return x, cy - text_h / 2, text_w
