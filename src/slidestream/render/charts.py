"""Charts as primitives: bars, lines, pie wedges, labels and a legend inside the chart box.

The data comes from untrusted slide content: values that are missing or not numbers count
as 0, bar and line charts handle negative values (bars hang below the zero line), pie
charts ignore negative slices, and a chart without data is drawn as an empty, labelled
frame. Every part lies inside the chart's box and every label fits its box on one line.

Angles of pie wedges are degrees clockwise from 12 o'clock; a label is one line of text
whose top is `box.y` (its box is one line high).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from slidestream.render.fonts import resolve_family, text_width
from slidestream.render.model import Box, ChartElement, ChartPart, ChartSeries
from slidestream.render.text import ELLIPSIS, clean_text, graphemes

ChartType = Literal["bar", "line", "pie"]
MAX_CATEGORIES = 24
MAX_PIE_SLICES = 12
MAX_SERIES = 6
EMPTY_LABEL = "No data"
MAX_VALUE = 1e15
_LABEL_PITCH = 1.25
_ALIASES = {"column": "bar", "columns": "bar", "bars": "bar", "donut": "pie", "doughnut": "pie"}


def chart_type_of(value: Any) -> ChartType:
    name = value.strip().lower() if isinstance(value, str) else ""
    name = _ALIASES.get(name, name)
    if name == "line":
        return "line"
    if name == "pie":
        return "pie"
    return "bar"


def to_number(value: Any) -> float:
    """A finite float from a number or numeric string; anything else is 0."""
    if isinstance(value, bool):
        return 0.0
    try:
        if isinstance(value, int | float):
            number = float(value)  # an int beyond a float's range raises OverflowError
        elif isinstance(value, str):
            text = value.strip().replace(",", "").replace("%", "").replace(" ", "")
            number = float(text.lstrip("$€£¥")[:64])
        else:
            return 0.0
    except (ValueError, OverflowError):
        return 0.0
    if not math.isfinite(number):
        return 0.0
    # Sums and spans of values near the float limit overflow to infinity: clamp to a
    # range no chart needs to exceed, so every renderer draws the same bars.
    return max(-MAX_VALUE, min(MAX_VALUE, number))


def _label_text(value: Any) -> str:
    if isinstance(value, str):
        return " ".join(clean_text(value[:200]).split())
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = to_number(value)
        return format_value(number) if number or value == 0 else ""
    return ""


def normalize_data(categories: Any, series: Any) -> tuple[list[str], list[ChartSeries]]:
    """Categories and series with one finite value per category (capped in count)."""
    raw_series: list[Any]
    if isinstance(series, dict):
        raw_series = [series]
    elif isinstance(series, list | tuple):
        raw_series = list(series)
        if raw_series and all(not isinstance(s, dict | list | tuple) for s in raw_series):
            raw_series = [{"name": "", "values": raw_series}]
    else:
        raw_series = []
    parsed: list[tuple[str, list[float]]] = []
    for item in raw_series[:MAX_SERIES]:
        if isinstance(item, dict):
            values = item.get("values")
            name = _label_text(item.get("name"))
        else:
            values, name = item, ""
        nums = [to_number(v) for v in values[:MAX_CATEGORIES]] if isinstance(values, list) else []
        parsed.append((name, nums))
    cats = (
        [_label_text(c) for c in categories[:MAX_CATEGORIES]]
        if isinstance(categories, list | tuple)
        else []
    )
    if not cats:
        longest = max((len(v) for _, v in parsed), default=0)
        cats = [str(i + 1) for i in range(longest)]
    if not cats:
        return [], []
    out = [
        ChartSeries(name=name or f"Series {i + 1}", values=(v + [0.0] * len(cats))[: len(cats)])
        for i, (name, v) in enumerate(parsed)
    ]
    return cats, out


def format_value(value: float) -> str:
    """A short label for a value: 12, 3.5, 12,345, 1.2M, 3.4B."""
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if magnitude >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    if magnitude >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _contrast(color: str) -> str:
    try:
        r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except ValueError:
        return "#000000"
    return "#111111" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.6 else "#ffffff"


class _Parts:
    def __init__(self, font: str, size: float, min_size: float, text_color: str) -> None:
        self.font, self.size, self.min_size, self.text_color = font, size, min_size, text_color
        self.items: list[ChartPart] = []

    def label(
        self,
        text: str,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        size: float | None = None,
        color: str | None = None,
        align: Literal["left", "center", "right"] = "center",
        whole: bool = False,
    ) -> bool:
        """A one-line label vertically centred in (x, y, w, h), shrunk or cut to fit.

        With `whole`, a label that would need cutting is left out. Returns whether drawn.
        """
        start = min(size or self.size, h / _LABEL_PITCH)
        if not text or w <= 0 or start < 1.0:
            return False
        fs = start
        floor = min(self.min_size, start)
        while text_width(text, self.font, fs) > w and fs > floor:
            fs = max(floor, fs - max(0.5, fs * 0.08))
        if text_width(text, self.font, fs) > w:
            if whole:
                return False
            text = _cut(text, w, self.font, fs)
            if not text:
                return False
        line_h = fs * _LABEL_PITCH
        box = Box(x=x, y=y + (h - line_h) / 2, w=w, h=line_h)
        self.items.append(
            ChartPart(
                kind="label",
                color=color or self.text_color,
                box=box,
                text=text,
                size=fs,
                font=self.font,
                align=align,
            )
        )
        return True

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        self.items.append(ChartPart(kind="rect", color=color, box=Box(x=x, y=y, w=w, h=h)))


def _cut(text: str, width: float, font: str, size: float) -> str:
    clusters = graphemes(text)
    while clusters:
        clusters.pop()
        candidate = "".join(clusters).rstrip() + ELLIPSIS
        if text_width(candidate, font, size) <= width:
            return candidate
    return ELLIPSIS if text_width(ELLIPSIS, font, size) <= width else ""


def _legend(parts: _Parts, names: Sequence[str], colors: Sequence[str], box: Box) -> float:
    """One row of swatches and names along the top of `box`; returns the height used.

    Entries take their natural width when they all fit, else equal shares of the row."""
    fs = parts.size
    row_h = fs * 1.6
    swatch = fs * 0.75
    space = fs * 0.4
    natural = [swatch + space + text_width(n, parts.font, fs) + fs * 1.5 for n in names]
    fits = sum(natural) <= box.w
    widths = natural if fits else [box.w / max(1, len(names))] * len(names)
    x = box.x
    for name, color, width in zip(names, colors, widths, strict=False):
        parts.rect(x, box.y + (row_h - swatch) / 2, swatch, swatch, color)
        label_x = x + swatch + space
        label_w = width - swatch - space - (fs * 1.5 - 1 if fits else 4)
        parts.label(name, label_x, box.y, label_w, row_h, align="left")
        x += width
    return row_h


def _empty(parts: _Parts, box: Box, grid: str) -> None:
    y = box.y + box.h * 0.8
    parts.items.append(
        ChartPart(kind="polyline", color=grid, points=[(box.x, y), (box.x + box.w, y)], width=1)
    )
    # The label in the text colour: an empty chart must read as "no data", not as blank.
    parts.label(EMPTY_LABEL, box.x, box.y, box.w, box.h * 0.8, color=parts.text_color)


def _bar_or_line(
    parts: _Parts,
    kind: ChartType,
    cats: list[str],
    series: list[ChartSeries],
    colors: list[str],
    box: Box,
    grid: str,
) -> None:
    fs = parts.size
    top = box.y
    if len(series) > 1 and box.h >= fs * 1.6 * 5:
        top += _legend(parts, [s.name for s in series], colors, box) + fs * 0.5
    label_h = fs * _LABEL_PITCH
    bottom = box.y + box.h - label_h
    values = [v for s in series for v in s.values]
    vmax, vmin = max(0.0, *values), min(0.0, *values)
    span = (vmax - vmin) or 1.0
    py0 = top + label_h
    py1 = bottom - (label_h if vmin < 0 else fs * 0.3)
    plot_h = max(1.0, py1 - py0)
    zero_y = py0 + vmax / span * plot_h
    slot = box.w / len(cats)
    value_size = fs * 0.85
    axis = [(box.x, zero_y), (box.x + box.w, zero_y)]
    parts.items.append(ChartPart(kind="polyline", color=grid, points=axis, width=1))
    show_values = kind == "bar" or len(series) == 1
    if kind == "bar":
        group = slot * 0.76
        bar_w = group / len(series)
        for i in range(len(cats)):
            for j, s in enumerate(series):
                v = s.values[i]
                h = abs(v) / span * plot_h
                x = box.x + i * slot + (slot - group) / 2 + j * bar_w
                y = zero_y - h if v >= 0 else zero_y
                parts.rect(x + bar_w * 0.06, y, bar_w * 0.88, h, colors[j])
                ly = y - label_h if v >= 0 else y + h
                parts.label(format_value(v), x, ly, bar_w, label_h, size=value_size, whole=True)
    else:
        radius = min(5.0, slot / 4)
        for j, s in enumerate(series):
            pts = [
                (box.x + (i + 0.5) * slot, zero_y - v / span * plot_h)
                for i, v in enumerate(s.values)
            ]
            if len(pts) > 1:
                parts.items.append(ChartPart(kind="polyline", color=colors[j], points=pts, width=3))
            for i, (px, py) in enumerate(pts):
                parts.items.append(
                    ChartPart(kind="dot", color=colors[j], center=(px, py), radius=radius)
                )
                v = s.values[i]
                if show_values:
                    ly = py - radius - label_h if v >= 0 else py + radius
                    ly = min(max(ly, top), bottom - label_h)
                    x0 = box.x + i * slot
                    text = format_value(v)
                    parts.label(text, x0, ly, slot, label_h, size=value_size, whole=True)
    for i, cat in enumerate(cats):
        parts.label(cat, box.x + i * slot + 2, bottom, slot - 4, label_h, color=parts.text_color)


def _pie(
    parts: _Parts,
    cats: list[str],
    series: list[ChartSeries],
    colors: list[str],
    box: Box,
    grid: str,
) -> None:
    values = [max(0.0, v) for v in series[0].values]
    total = sum(values)
    if total <= 0:
        _empty(parts, box, grid)
        return
    fs = parts.size
    legend_w = min(box.w * 0.4, max(box.w - box.h, box.w * 0.3))
    pie_w = box.w - legend_w
    radius = max(1.0, min(pie_w, box.h) / 2 - 4)
    cx, cy = box.x + pie_w / 2, box.y + box.h / 2
    angle = 0.0
    for i, v in enumerate(values):
        if v <= 0:
            continue
        sweep = v / total * 360
        color = colors[i % len(colors)]
        wedge = ChartPart(
            kind="wedge",
            color=color,
            center=(cx, cy),
            radius=radius,
            start_angle=angle,
            end_angle=angle + sweep,
        )
        parts.items.append(wedge)
        if sweep >= 20:
            mid = math.radians(angle + sweep / 2)
            lx, ly = cx + math.sin(mid) * radius * 0.62, cy - math.cos(mid) * radius * 0.62
            w, h = radius * 0.6, fs * _LABEL_PITCH
            pct = f"{v / total * 100:.0f}%"
            parts.label(pct, lx - w / 2, ly - h / 2, w, h, color=_contrast(color), whole=True)
        angle += sweep
    row_h = min(fs * 1.7, box.h / len(cats))
    swatch = min(fs * 0.75, row_h * 0.7)
    y0 = box.y + (box.h - row_h * len(cats)) / 2
    x0 = box.x + pie_w + 8
    for i, cat in enumerate(cats):
        y = y0 + i * row_h
        parts.rect(x0, y + (row_h - swatch) / 2, swatch, swatch, colors[i % len(colors)])
        lx = x0 + swatch + fs * 0.4
        parts.label(cat, lx, y, box.x + box.w - lx, row_h, align="left")


def _within(part: ChartPart, box: Box) -> bool:
    """Whether the part lies inside the box (tiny boxes cannot hold every part)."""
    eps = 1e-6
    left, top = box.x - eps, box.y - eps
    right, bottom = box.x + box.w + eps, box.y + box.h + eps
    corners = list(part.points)
    if part.box is not None:
        b = part.box
        corners += [(b.x, b.y), (b.x + b.w, b.y + b.h)]
    if part.center is not None:
        (cx, cy), r = part.center, part.radius
        corners += [(cx - r, cy - r), (cx + r, cy + r)]
    return all(left <= x <= right and top <= y <= bottom for x, y in corners)


def chart_element(
    box: Box,
    chart_type: Any,
    categories: Any,
    series: Any,
    *,
    colors: Sequence[str],
    font: str,
    font_size: float,
    text_color: str,
    grid_color: str,
    min_size: float = 10,
) -> ChartElement:
    """A chart from untrusted data, with its `parts` drawn inside `box`."""
    kind = chart_type_of(chart_type)
    family = resolve_family(font)
    palette = list(colors) or ["#4472c4", "#ed7d31", "#a5a5a5"]
    cats, data = normalize_data(categories, series)
    if kind == "pie":
        cats = cats[:MAX_PIE_SLICES]
        data = [ChartSeries(name=s.name, values=s.values[: len(cats)]) for s in data[:1]]
    parts = _Parts(family, font_size, min_size, text_color)
    if kind == "pie":
        used = [palette[i % len(palette)] for i in range(min(len(cats), MAX_PIE_SLICES))]
    else:
        used = [palette[i % len(palette)] for i in range(len(data))]
    if not cats or not data:
        _empty(parts, box, grid_color)
    elif kind == "pie":
        _pie(parts, cats, data, used, box, grid_color)
    else:
        _bar_or_line(parts, kind, cats, data, used, box, grid_color)
    drawn = [part for part in parts.items if _within(part, box)]
    return ChartElement(
        x=box.x,
        y=box.y,
        w=box.w,
        h=box.h,
        chart=kind,
        categories=cats,
        series=data,
        colors=used,
        font=family,
        font_size=font_size,
        text_color=text_color,
        parts=drawn,
    )
