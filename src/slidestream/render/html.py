"""Web preview: a slide's geometry as absolutely positioned HTML in a 1280 x 720 px box.

Every fitted line is its own positioned block with `white-space: pre`, so the browser never
re-wraps text: the preview shows exactly the lines the PPTX and the PDF draw. Fonts are the
bundled TTFs, declared with `@font-face` at `/static/fonts/<Family>/<file>.ttf`, with their
metrics pinned (ascent, descent, no line gap) so every browser puts the baseline where the
geometry does: the line box's top plus the font's ascent. Kerning and ligatures are off, as
in the geometry's measurements. Charts are inline SVG drawn from their `parts`.

Everything that comes from a user or a model (text, alt text, URLs) is escaped; an image is
only linked when its URL is one the app serves (`/static/...`, `/app_data/...`), otherwise a
placeholder is drawn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from html import escape
from urllib.parse import quote

from slidestream.render import fonts
from slidestream.render.model import (
    ChartElement,
    ChartPart,
    DeckGeometry,
    ImageElement,
    ShapeElement,
    SlideGeometry,
    TableElement,
    TextElement,
)
from slidestream.render.text import clean_text

FONTS_ROUTE = "/static/fonts"
ALLOWED_IMAGE_PREFIXES = ("/static/", "/app_data/")
BULLET = "\u2022"
PLACEHOLDER_FILL = "#e8ecf2"
PLACEHOLDER_INK = "#b8c2d1"
SERIF_FAMILIES = frozenset({"Lora"})
_STYLES = ((False, False), (True, False), (False, True), (True, True))

SLIDE_CSS = """\
.ss-deck{display:flex;flex-direction:column;gap:24px;padding:24px;background:#e5e7eb;margin:0}
.ss-frame{width:min(100%,1280px);aspect-ratio:16/9;container-type:inline-size;overflow:hidden;\
margin:0 auto;box-shadow:0 1px 4px rgba(0,0,0,.2)}
.ss-frame>.ss-slide{transform-origin:0 0;transform:scale(var(--ss-scale,1));\
transform:scale(tan(atan2(100cqw,1280px)))}
"""


def _n(value: float) -> str:
    """A CSS/SVG number: short, and never `nan`/`inf`."""
    if not math.isfinite(value):
        return "0"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(value: str) -> str:
    """Text or an attribute value, escaped: markup in it stays text. Controls and lone
    surrogates (which no page can encode) are dropped, line breaks become spaces."""
    return escape(clean_text(value).replace("\n", " "), quote=True)


_attr = _text


def _box(x: float, y: float, w: float, h: float) -> str:
    return f"position:absolute;left:{_n(x)}px;top:{_n(y)}px;width:{_n(w)}px;height:{_n(h)}px"


# --- fonts --------------------------------------------------------------------------------


def font_url(family: str, bold: bool = False, italic: bool = False) -> str:
    """The URL path a bundled font file is served at: `/static/fonts/<Family>/<file>.ttf`."""
    path = fonts.font_file(family, bold, italic)
    return f"{FONTS_ROUTE}/{quote(path.parent.name)}/{quote(path.name)}"


def _css_name(name: str) -> str:
    """A family name safe inside a quoted CSS string (bundled names only have these)."""
    return "".join(c for c in name if c.isalnum() or c in " -_")


def font_stack(family: str) -> str:
    """A CSS font-family list: the family, its bundled fallbacks, then a generic family."""
    name = fonts.resolve_family(family)
    generic = "serif" if name in SERIF_FAMILIES else "sans-serif"
    names = [name, *fonts.fallback_families(name)]
    return ",".join(f"'{_css_name(n)}'" for n in names) + f",{generic}"


def font_face_css(families: Iterable[str]) -> str:
    """`@font-face` rules for the families (and their fallbacks), every weight and style
    mapped to the file the geometry measured with (a missing bold or italic maps to the
    nearest file, so the browser does not synthesise one)."""
    wanted: list[str] = []
    for family in families:
        name = fonts.resolve_family(family)
        for candidate in (name, *fonts.fallback_families(name)):
            if candidate not in wanted:
                wanted.append(candidate)
    rules: list[str] = []
    for family in wanted:
        for bold, italic in _STYLES:
            path = fonts.font_file(family, bold, italic)
            metrics = fonts.load_metrics(path)
            rules.append(
                "@font-face{"
                f"font-family:'{_css_name(family)}';"
                f"src:url('{font_url(family, bold, italic)}') format('truetype');"
                f"font-weight:{700 if bold else 400};"
                f"font-style:{'italic' if italic else 'normal'};"
                f"ascent-override:{_n(metrics.ascent_em * 100)}%;"
                f"descent-override:{_n(metrics.descent_em * 100)}%;"
                "line-gap-override:0%;font-display:block}"
            )
    return "\n".join(rules)


def _slide_families(slide: SlideGeometry) -> list[str]:
    found: list[str] = []

    def add(family: str) -> None:
        name = fonts.resolve_family(family)
        if name not in found:
            found.append(name)

    for element in slide.elements:
        if isinstance(element, TextElement):
            add(element.style.font)
        elif isinstance(element, ChartElement):
            add(element.font)
            for part in element.parts:
                if part.font:
                    add(part.font)
        elif isinstance(element, TableElement):
            add(element.font)
            for row in element.cells:
                for cell in row:
                    add(cell.style.font)
    return found


# --- slides and decks ---------------------------------------------------------------------


def render_slide_html(slide: SlideGeometry, *, include_fonts: bool = True) -> str:
    """One slide as a self-contained HTML fragment: a 1280 x 720 px box (`.ss-slide`) of
    absolutely positioned elements, preceded by its `@font-face` rules unless
    `include_fonts` is False. Scale it with a CSS transform on the box or its container."""
    parts: list[str] = []
    if include_fonts:
        parts.append(f"<style>{font_face_css(_slide_families(slide))}</style>")
    parts.append(
        f'<div class="ss-slide" data-layout="{_attr(slide.layout)}" '
        f'data-kind="{_attr(slide.kind)}" style="position:relative;'
        f"width:{_n(slide.width)}px;height:{_n(slide.height)}px;"
        f"background:{slide.background};overflow:hidden;font-kerning:none;"
        "font-variant-ligatures:none;font-synthesis:none;-webkit-font-smoothing:antialiased;"
        'text-rendering:optimizeSpeed">'
    )
    for element in slide.elements:
        if isinstance(element, TextElement):
            parts.append(text_html(element))
        elif isinstance(element, ShapeElement):
            parts.append(shape_html(element))
        elif isinstance(element, ImageElement):
            parts.append(image_html(element))
        elif isinstance(element, ChartElement):
            parts.append(chart_html(element))
        elif isinstance(element, TableElement):
            parts.append(table_html(element))
    parts.append("</div>")
    return "".join(parts)


def render_deck_html(deck: DeckGeometry) -> str:
    """The whole deck as one HTML page: every slide scaled to the page's width."""
    families: list[str] = list(deck.fonts)
    for slide in deck.slides:
        families.extend(_slide_families(slide))
    slides = "\n".join(
        f'<section class="ss-frame" aria-label="Slide {number}">'
        f"{render_slide_html(slide, include_fonts=False)}</section>"
        for number, slide in enumerate(deck.slides, start=1)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_text(deck.title)}</title>"
        f"<style>{font_face_css(families)}\n{SLIDE_CSS}</style>"
        f'</head><body class="ss-deck">\n{slides}\n</body></html>\n'
    )


# --- elements -----------------------------------------------------------------------------


def text_html(element: TextElement, origin: tuple[float, float] = (0.0, 0.0)) -> str:
    """A text element: its box, and every fitted line positioned inside it."""
    style = element.style
    family = fonts.resolve_family(style.font)
    metrics = fonts.font_metrics(family, style.bold, style.italic)
    line_h = (metrics.ascent_em + metrics.descent_em) * style.size
    ox, oy = element.x - origin[0], element.y - origin[1]
    out = [
        f'<div class="ss-text" data-role="{_attr(element.role)}" style="'
        f"{_box(ox, oy, element.w, element.h)};font-family:{font_stack(family)};"
        f"font-size:{_n(style.size)}px;line-height:{_n(line_h)}px;color:{style.color};"
        f"font-weight:{700 if style.bold else 400};"
        f'font-style:{"italic" if style.italic else "normal"}">'
    ]
    for line in element.lines:
        top = line.y - element.y
        if line.bullet:
            out.append(
                f'<div class="ss-bullet" aria-hidden="true" style="position:absolute;left:0;'
                f'top:{_n(top)}px;white-space:pre">{BULLET}</div>'
            )
        if not line.text:
            continue
        out.append(
            f'<div class="ss-line" dir="auto" style="position:absolute;'
            f"left:{_n(line.x - element.x)}px;top:{_n(top)}px;width:{_n(line.width)}px;"
            f"height:{_n(line_h)}px;white-space:pre;text-align:{style.align};"
            f'unicode-bidi:plaintext">{_text(line.text)}</div>'
        )
    out.append("</div>")
    return "".join(out)


def shape_html(element: ShapeElement) -> str:
    x, y, w, h = element.x, element.y, element.w, element.h
    if element.shape == "line":
        color = element.stroke or element.fill or "#000000"
        width = element.stroke_width or 1.0
        return (
            f'<svg class="ss-shape" aria-hidden="true" style="{_box(x, y, max(w, 1), max(h, 1))};'
            f'overflow:visible" width="{_n(max(w, 1))}" height="{_n(max(h, 1))}">'
            f'<line x1="0" y1="0" x2="{_n(w)}" y2="{_n(h)}" stroke="{color}" '
            f'stroke-width="{_n(width)}"/></svg>'
        )
    css = [
        _box(x, y, w, h),
        "box-sizing:border-box",
        f"background:{element.fill or 'transparent'}",
    ]
    if element.stroke and element.stroke_width > 0:
        # Strokes are centred on the outline, as in the PPTX and the PDF.
        sw = element.stroke_width
        css[0] = _box(x - sw / 2, y - sw / 2, w + sw, h + sw)
        css.append(f"border:{_n(sw)}px solid {element.stroke}")
    if element.shape == "ellipse":
        css.append("border-radius:50%")
    elif element.shape == "rounded" and element.radius > 0:
        css.append(f"border-radius:{_n(element.radius)}px")
    return f'<div class="ss-shape" aria-hidden="true" style="{";".join(css)}"></div>'


_SAFE_IMAGE_PATH = re.compile(r"/(?:static|app_data)(?:/[A-Za-z0-9_\-][A-Za-z0-9._\-]*)+")


def safe_image_src(src: str) -> str | None:
    """`src` when it is a plain path the app serves images at, else None.

    Only letters, digits, `._-` and `/`: no percent-escapes (a browser reads `%2e%2e` as
    `..`), quotes, parentheses or spaces (the URL also goes into a CSS `url()`), query or
    fragment, and no `.`/`..` segments."""
    if not isinstance(src, str) or not src.startswith(ALLOWED_IMAGE_PREFIXES):
        return None
    if not _SAFE_IMAGE_PATH.fullmatch(src):
        return None
    if any(segment in ("..", ".") for segment in src.split("/")):
        return None
    return src


def image_html(element: ImageElement) -> str:
    src = safe_image_src(element.src)
    if src is None:
        return placeholder_html(element.x, element.y, element.w, element.h, element.radius)
    radius = f";border-radius:{_n(element.radius)}px" if element.radius > 0 else ""
    if element.tint is not None and src.lower().endswith(".svg"):
        # A one-colour icon: its shape as a mask over the theme colour (an <img> of an
        # SVG cannot take the page's colour).
        mask = f"url(&quot;{_attr(src)}&quot;) center / contain no-repeat"
        return (
            f'<div class="ss-icon" role="img" aria-label="{_attr(element.alt)}" '
            f'style="{_box(element.x, element.y, element.w, element.h)};'
            f'background-color:{element.tint};-webkit-mask:{mask};mask:{mask}"></div>'
        )
    return (
        f'<img class="ss-image" src="{_attr(src)}" alt="{_attr(element.alt)}" '
        f'loading="lazy" decoding="async" draggable="false" '
        f'style="{_box(element.x, element.y, element.w, element.h)};'
        f'object-fit:{element.fit};display:block{radius}">'
    )


def placeholder_html(x: float, y: float, w: float, h: float, radius: float = 0.0) -> str:
    """A neutral rounded box with a small picture glyph (a hill and a sun)."""
    r = radius if radius > 0 else min(w, h) * 0.06
    g = max(min(w, h) * 0.3, 1.0)
    gx, gy = (w - g) / 2, (h - g) / 2
    sun = g * 0.28
    return (
        f'<div class="ss-image ss-placeholder" role="img" aria-label="image" '
        f'style="{_box(x, y, w, h)};background:{PLACEHOLDER_FILL};border-radius:{_n(r)}px">'
        f'<svg width="{_n(w)}" height="{_n(h)}" style="position:absolute;left:0;top:0">'
        f'<polygon fill="{PLACEHOLDER_INK}" points="{_n(gx)},{_n(gy + g)} '
        f'{_n(gx + g * 0.375)},{_n(gy + g * 0.35)} {_n(gx + g * 0.75)},{_n(gy + g)}"/>'
        f'<circle fill="{PLACEHOLDER_INK}" cx="{_n(gx + g - sun / 2)}" cy="{_n(gy + sun / 2)}" '
        f'r="{_n(sun / 2)}"/></svg></div>'
    )


def _wedge_path(center: tuple[float, float], radius: float, start: float, end: float) -> str:
    """An SVG path for a pie wedge; angles in degrees clockwise from 12 o'clock."""
    cx, cy = center

    def at(angle: float) -> tuple[float, float]:
        rad = math.radians(angle)
        return cx + radius * math.sin(rad), cy - radius * math.cos(rad)

    (x0, y0), (x1, y1) = at(start), at(end)
    large = 1 if abs(end - start) > 180 else 0
    sweep = 1 if end >= start else 0
    return (
        f"M{_n(cx)} {_n(cy)}L{_n(x0)} {_n(y0)}"
        f"A{_n(radius)} {_n(radius)} 0 {large} {sweep} {_n(x1)} {_n(y1)}Z"
    )


def _part_svg(part: ChartPart, chart: ChartElement) -> str:
    if part.kind == "rect" and part.box is not None:
        box = part.box
        return (
            f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(max(box.w, 0))}" '
            f'height="{_n(max(box.h, 0))}" fill="{part.color}"/>'
        )
    if part.kind == "wedge" and part.center is not None and part.radius > 0:
        cx, cy = part.center
        if abs(part.end_angle - part.start_angle) >= 359.99:
            return (
                f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(part.radius)}" fill="{part.color}"/>'
            )
        path = _wedge_path(part.center, part.radius, part.start_angle, part.end_angle)
        return f'<path d="{path}" fill="{part.color}"/>'
    if part.kind == "polyline" and len(part.points) >= 2:
        points = " ".join(f"{_n(px)},{_n(py)}" for px, py in part.points)
        return (
            f'<polyline points="{points}" fill="none" stroke="{part.color}" '
            f'stroke-width="{_n(part.width or 2.0)}" stroke-linejoin="round" '
            'stroke-linecap="round"/>'
        )
    if part.kind == "dot" and part.center is not None and part.radius > 0:
        cx, cy = part.center
        return f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(part.radius)}" fill="{part.color}"/>'
    if part.kind == "label" and part.text.strip():
        return _label_svg(part, chart)
    return ""


def _label_svg(part: ChartPart, chart: ChartElement) -> str:
    size = part.size or chart.font_size
    family = fonts.resolve_family(part.font or chart.font)
    metrics = fonts.font_metrics(family)
    text_h = (metrics.ascent_em + metrics.descent_em) * size
    if part.box is not None:
        box = part.box
        top = box.y  # a label's box is one line high, its top the line's top
        anchor_x = {"left": box.x, "center": box.x + box.w / 2, "right": box.x + box.w}
        x = anchor_x[part.align]
    else:
        x, cy = part.center or (part.points[0] if part.points else (0.0, 0.0))
        top = cy - text_h / 2
    anchor = {"left": "start", "center": "middle", "right": "end"}[part.align]
    baseline = top + metrics.ascent_em * size
    return (
        f'<text x="{_n(x)}" y="{_n(baseline)}" text-anchor="{anchor}" fill="{part.color}" '
        f'font-family="{font_stack(family)}" font-size="{_n(size)}" '
        f'style="white-space:pre" direction="ltr" unicode-bidi="plaintext">'
        f"{_text(part.text)}</text>"
    )


def chart_html(element: ChartElement) -> str:
    """The chart's primitives as inline SVG, in canvas coordinates."""
    body = "".join(_part_svg(part, element) for part in element.parts)
    label = f"{element.chart} chart: " + ", ".join(s.name for s in element.series)
    return (
        f'<svg class="ss-chart" role="img" aria-label="{_attr(label)}" '
        f'style="{_box(element.x, element.y, element.w, element.h)};overflow:visible" '
        f'width="{_n(element.w)}" height="{_n(element.h)}" '
        f'viewBox="{_n(element.x)} {_n(element.y)} {_n(element.w)} {_n(element.h)}">'
        f"{body}</svg>"
    )


def table_html(element: TableElement) -> str:
    """Cells as positioned fills with grid lines, then every cell's fitted lines."""
    cols, heights = element.col_widths, element.row_heights
    total_w, total_h = sum(cols), sum(heights)
    out = [
        f'<div class="ss-table" '
        f'style="{_box(element.x, element.y, total_w, total_h)}">'
        f'<svg aria-hidden="true" width="{_n(total_w)}" height="{_n(total_h)}" '
        'style="position:absolute;left:0;top:0;overflow:visible">'
    ]
    top = 0.0
    fills = element.row_fills or ["#ffffff"]
    for r, height in enumerate(heights):
        fill = element.header_fill if r == 0 else fills[(r - 1) % len(fills)]
        out.append(
            f'<rect x="0" y="{_n(top)}" width="{_n(total_w)}" height="{_n(height)}" fill="{fill}"/>'
        )
        top += height
    grid = []
    y = 0.0
    for height in [0.0, *heights]:
        y += height
        grid.append(f"M0 {_n(y)}H{_n(total_w)}")
    x = 0.0
    for width in [0.0, *cols]:
        x += width
        grid.append(f"M{_n(x)} 0V{_n(total_h)}")
    out.append(
        f'<path d="{"".join(grid)}" fill="none" stroke="{element.border}" stroke-width="0.75"/>'
    )
    out.append("</svg>")
    origin = (element.x, element.y)
    if element.cells:
        for row in element.cells:
            for cell in row:
                out.append(text_html(cell, origin))
    else:
        out.append(_table_strings(element))
    out.append("</div>")
    return "".join(out)


def _table_strings(element: TableElement) -> str:
    """Unfitted tables (no `cells`): each string on one line, vertically centred."""
    out: list[str] = []
    top = 0.0
    for r, (row, height) in enumerate(
        zip([element.header, *element.rows], element.row_heights, strict=False)
    ):
        left = 0.0
        color = element.header_color if r == 0 else element.text_color
        for value, width in zip(row, element.col_widths, strict=False):
            out.append(
                f'<div style="{_box(left + 6, top, width - 12, height)};display:flex;'
                f"align-items:center;overflow:hidden;white-space:pre;color:{color};"
                f"font-family:{font_stack(element.font)};font-size:{_n(element.font_size)}px;"
                f'font-weight:{700 if r == 0 else 400}">{_text(value)}</div>'
            )
            left += width
        top += height
    return "".join(out)
