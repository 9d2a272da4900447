"""What every layout kind shares: reading untrusted content and placing themed elements.

Readers never raise: a missing property, a wrong type or None reads as "" / [] / {}.
Strings are cleaned (controls, lone surrogates) and capped; lists are capped in length
(the text fitting truncates anything that still does not fit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from slidestream.render.fonts import resolve_family
from slidestream.render.model import (
    CANVAS_HEIGHT,
    CANVAS_WIDTH,
    Box,
    Element,
    ImageElement,
    ShapeElement,
    TextElement,
    TextStyle,
)
from slidestream.render.text import FittedText, VAlign, clean_text, fit_text
from slidestream.templates.themes import Theme

IMAGE_PLACEHOLDER = "/static/images/placeholder.svg"
ICON_PLACEHOLDER = "/static/icons/placeholder.svg"
MAX_TEXT = 4000
MAX_ITEMS = 40
_URL_PREFIXES = ("/", "http://", "https://", "data:image/")
_TITLE_KEYS = ("title", "heading", "headline", "name", "label")

Align = Literal["left", "center", "right"]


# --- reading content -------------------------------------------------------------------


def text_of(value: Any, limit: int = MAX_TEXT) -> str:
    """A cleaned, stripped string from a string or number; anything else is ""."""
    if isinstance(value, str):
        return clean_text(value[:limit]).strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return str(value)[:limit]
    return ""


def dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def list_of(value: Any, limit: int = MAX_ITEMS) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value[:limit])
    return []


def flat_text(value: Any) -> str:
    """One line of text from a string, a number or an object's text values."""
    if isinstance(value, dict):
        parts = [text_of(v) for k, v in value.items() if not str(k).startswith("__")]
        return " \u2014 ".join(p for p in parts if p)
    return text_of(value)


def strings_of(value: Any, limit: int = MAX_ITEMS) -> list[str]:
    """Non-empty strings from a list (objects become one line each) or a single string."""
    if isinstance(value, str):
        text = text_of(value)
        return [text] if text else []
    return [t for t in (flat_text(v) for v in list_of(value, limit)) if t]


def url_of(value: Any, key: str) -> str:
    """`value[key]` (or `value` itself) when it is a URL the renderers may draw, else ""."""
    raw = value.get(key) if isinstance(value, dict) else value
    if not isinstance(raw, str):
        return ""
    url = raw.strip()
    if not url or len(url) > 2_000_000 or any(c in url for c in "\n\r\t\x00"):
        return ""
    return url if url.lower().startswith(_URL_PREFIXES) else ""


def image_url(value: Any) -> str:
    return url_of(value, "__image_url__") or IMAGE_PLACEHOLDER


def icon_url(value: Any) -> str:
    return url_of(value, "__icon_url__") or ICON_PLACEHOLDER


def first_title(content: dict[str, Any]) -> tuple[str, str | None]:
    """The first title-like string (by key name, else the first string) and its key."""
    for key, value in content.items():
        if str(key).startswith("__"):
            continue
        if any(word in str(key).lower() for word in _TITLE_KEYS) and text_of(value):
            return text_of(value), key
    for key, value in content.items():
        if not str(key).startswith("__") and isinstance(value, str) and text_of(value):
            return text_of(value), key
    return "", None


def find_image(value: Any, depth: int = 0) -> str:
    """The first `__image_url__` anywhere in the content (depth-limited), or ""."""
    if depth > 6:
        return ""
    if isinstance(value, dict):
        found = url_of(value, "__image_url__") if "__image_url__" in value else ""
        if found or "__image_prompt__" in value:
            return found or IMAGE_PLACEHOLDER
        items: list[Any] = list(value.values())
    elif isinstance(value, list):
        items = value[:MAX_ITEMS]
    else:
        return ""
    for item in items:
        found = find_image(item, depth + 1)
        if found:
            return found
    return ""


# --- placing elements ------------------------------------------------------------------


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class SlideBuilder:
    """Themed element factory for one slide; `area` is the space inside margins."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        c = theme.colors
        self.colors = c
        self.heading_font = resolve_family(theme.fonts.heading)
        self.body_font = resolve_family(theme.fonts.body)
        self.heading_bold = theme.fonts.heading_bold
        s = theme.sizes
        self.minimum = _clamp(s.minimum, 4, 40)
        self.title_size = _clamp(s.title, self.minimum, 120)
        self.heading_size = _clamp(s.heading, self.minimum, 100)
        self.body_size = _clamp(s.body, self.minimum, 80)
        self.small_size = _clamp(s.small, self.minimum, 60)
        self.hero_size = _clamp(s.hero, self.minimum, 160)
        self.figure_size = _clamp(s.figure, self.minimum, 160)
        self.margin = _clamp(theme.margin, 0, 160)
        self.gap = _clamp(theme.gap, 0, 80)
        self.radius = _clamp(theme.radius, 0, 60)
        self.elements: list[Element] = []
        band = self.band_width if theme.decoration == "band" else 0.0
        self.area = Box(
            x=self.margin + band,
            y=self.margin,
            w=CANVAS_WIDTH - 2 * self.margin - band,
            h=CANVAS_HEIGHT - 2 * self.margin,
        )

    @property
    def band_width(self) -> float:
        return _clamp(self.margin * 0.3, 12, 28)

    # primitives

    def style(
        self,
        size: float,
        *,
        heading: bool = False,
        color: str | None = None,
        bold: bool | None = None,
        italic: bool = False,
        align: Align = "left",
        line_height: float = 1.2,
    ) -> TextStyle:
        return TextStyle(
            font=self.heading_font if heading else self.body_font,
            size=max(0.5, size),
            color=color or self.colors.text,
            bold=(self.heading_bold if heading else False) if bold is None else bold,
            italic=italic,
            align=align,
            line_height=line_height,
        )

    def fit(
        self,
        paragraphs: Sequence[str],
        box: Box,
        style: TextStyle,
        *,
        bullets: bool = False,
        valign: VAlign = "top",
        min_size: float | None = None,
    ) -> FittedText:
        return fit_text(
            paragraphs,
            _inside(box),
            style,
            bullets=bullets,
            valign=valign,
            min_size=self.minimum if min_size is None else min_size,
        )

    def fit_group(
        self,
        items: Sequence[tuple[Sequence[str], Box]],
        style: TextStyle,
        *,
        bullets: bool = False,
        valign: VAlign = "top",
        min_size: float | None = None,
    ) -> list[FittedText]:
        """Fit several texts at one common size (the smallest any of them needed)."""
        fits = [
            self.fit(p, b, style, bullets=bullets, valign=valign, min_size=min_size)
            for p, b in items
        ]
        sizes = [f.style.size for f in fits if f.lines]
        size = min(sizes, default=style.size)
        if any(f.style.size != size for f in fits if f.lines):
            smaller = style.model_copy(update={"size": size})
            fits = [
                self.fit(p, b, smaller, bullets=bullets, valign=valign, min_size=min_size)
                for p, b in items
            ]
        return fits

    def add_text(self, fitted: FittedText, role: str, *, tight: bool = False) -> TextElement | None:
        """Add a fitted text (nothing when it has no visible text); `tight` shrinks the box
        to the lines' height."""
        if not any(line.text for line in fitted.lines):
            return None
        element = fitted.element(role)
        if tight:
            element.h = min(element.h, fitted.height)
            if fitted.valign != "top" and fitted.lines:
                dy = element.y - fitted.lines[0].y
                for line in element.lines:
                    line.y += dy
        self.elements.append(element)
        return element

    def text(
        self,
        role: str,
        paragraphs: Sequence[str],
        box: Box,
        style: TextStyle,
        *,
        bullets: bool = False,
        valign: VAlign = "top",
        min_size: float | None = None,
        tight: bool = False,
    ) -> TextElement | None:
        fitted = self.fit(paragraphs, box, style, bullets=bullets, valign=valign, min_size=min_size)
        return self.add_text(fitted, role, tight=tight)

    def shape(
        self,
        box: Box,
        shape: Literal["rect", "rounded", "ellipse", "line"] = "rect",
        *,
        fill: str | None = None,
        stroke: str | None = None,
        stroke_width: float = 0.0,
        radius: float = 0.0,
    ) -> None:
        b = _inside(box)
        if b.w <= 0 and b.h <= 0:
            return
        self.elements.append(
            ShapeElement(
                x=b.x,
                y=b.y,
                w=b.w,
                h=b.h,
                shape=shape,
                fill=fill,
                stroke=stroke,
                stroke_width=stroke_width,
                radius=min(radius, b.w / 2, b.h / 2) if shape == "rounded" else 0.0,
            )
        )

    def card(self, box: Box) -> None:
        self.shape(
            box, "rounded" if self.radius else "rect", fill=self.colors.surface, radius=self.radius
        )

    def image(
        self,
        src: str,
        box: Box,
        *,
        fit: Literal["cover", "contain"] = "cover",
        alt: str = "",
        tint: str | None = None,
    ) -> None:
        b = _inside(box)
        if b.w < 1 or b.h < 1:
            return
        radius = min(self.radius, b.w / 2, b.h / 2) if fit == "cover" else 0.0
        self.elements.append(
            ImageElement(
                x=b.x,
                y=b.y,
                w=b.w,
                h=b.h,
                src=src,
                fit=fit,
                radius=radius,
                alt=alt[:300],
                tint=tint,
            )
        )

    # decoration and titles

    def decorate(self) -> None:
        """The theme's ornament, drawn first (under everything else)."""
        deco = self.theme.decoration
        primary, accent = self.colors.primary, self.colors.accent
        if deco == "band":
            self.shape(Box(x=0, y=0, w=self.band_width, h=CANVAS_HEIGHT), fill=primary)
        elif deco == "corner":
            arm, thick = _clamp(self.margin * 2.2, 60, 180), _clamp(self.margin * 0.16, 6, 14)
            self.shape(Box(x=0, y=0, w=arm, h=thick), fill=primary)
            self.shape(Box(x=0, y=0, w=thick, h=arm), fill=primary)
            right, bottom = CANVAS_WIDTH, CANVAS_HEIGHT
            self.shape(Box(x=right - arm, y=bottom - thick, w=arm, h=thick), fill=accent)
            self.shape(Box(x=right - thick, y=bottom - arm, w=thick, h=arm), fill=accent)

    def accent_bar(self, x: float, y: float, *, centered_in: Box | None = None) -> float:
        """The "bar" decoration's short accent bar at (x, y); returns its height (0 if none)."""
        if self.theme.decoration != "bar":
            return 0.0
        w, h = 72.0, 6.0
        if centered_in is not None:
            x = centered_in.x + (centered_in.w - w) / 2
        self.shape(Box(x=x, y=y, w=w, h=h), fill=self.colors.accent)
        return h

    def title(self, text: str, box: Box | None = None) -> float:
        """The slide title at the top of `box` (default: the area); returns where content
        may start below it."""
        region = box or self.area
        if not text:
            return region.y
        style = self.style(
            self.title_size, heading=True, color=self.colors.primary, line_height=1.12
        )
        max_h = min(self.title_size * 1.12 * 2, region.h * 0.35)
        fitted = self.fit(
            [text],
            Box(x=region.x, y=region.y, w=region.w, h=max_h),
            style,
            min_size=max(self.minimum, self.title_size * 0.55),
        )
        element = self.add_text(fitted, "title", tight=True)
        bottom = region.y + (element.h if element else 0.0)
        bar = self.accent_bar(region.x, bottom + self.gap * 0.5)
        if bar:
            bottom += self.gap * 0.5 + bar
        return bottom + self.gap

    def below(self, y: float, box: Box | None = None) -> Box:
        """The part of `box` (default: the area) below `y`."""
        region = box or self.area
        top = min(max(y, region.y), region.y + region.h)
        return Box(x=region.x, y=top, w=region.w, h=region.y + region.h - top)


def _inside(box: Box) -> Box:
    """`box` clipped to the canvas (and to non-negative size)."""
    x = _clamp(box.x, 0, CANVAS_WIDTH)
    y = _clamp(box.y, 0, CANVAS_HEIGHT)
    right = _clamp(box.x + max(0.0, box.w), x, CANVAS_WIDTH)
    bottom = _clamp(box.y + max(0.0, box.h), y, CANVAS_HEIGHT)
    return Box(x=x, y=y, w=right - x, h=bottom - y)


def columns(region: Box, count: int, gap: float) -> list[Box]:
    """`count` equal columns across `region`, `gap` apart."""
    count = max(1, count)
    w = max(0.0, (region.w - gap * (count - 1)) / count)
    return [Box(x=region.x + i * (w + gap), y=region.y, w=w, h=region.h) for i in range(count)]


def rows(region: Box, count: int, gap: float) -> list[Box]:
    count = max(1, count)
    h = max(0.0, (region.h - gap * (count - 1)) / count)
    return [Box(x=region.x, y=region.y + i * (h + gap), w=region.w, h=h) for i in range(count)]


def inset(box: Box, pad: float) -> Box:
    pad = min(pad, box.w / 2, box.h / 2)
    return Box(x=box.x + pad, y=box.y + pad, w=box.w - 2 * pad, h=box.h - 2 * pad)


def grid(region: Box, count: int, gap: float, per_row: int) -> list[Box]:
    """`count` cells in rows of `per_row`, the last row centred."""
    per_row = max(1, per_row)
    n_rows = max(1, math.ceil(count / per_row))
    cells: list[Box] = []
    width = (region.w - gap * (per_row - 1)) / per_row
    for r, row in enumerate(rows(region, n_rows, gap)):
        n = min(per_row, count - r * per_row)
        offset = (region.w - (n * width + (n - 1) * gap)) / 2
        for i in range(n):
            cells.append(Box(x=row.x + offset + i * (width + gap), y=row.y, w=width, h=row.h))
    return cells
