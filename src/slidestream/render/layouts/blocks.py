"""Slides of repeated blocks: two columns, icon cards, metrics and a timeline."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from slidestream.render.layouts.common import (
    SlideBuilder,
    columns,
    dict_of,
    grid,
    icon_url,
    inset,
    list_of,
    strings_of,
    text_of,
)
from slidestream.render.model import Box
from slidestream.render.text import FittedText

MAX_CARDS = 6
MAX_METRICS = 6
MAX_STEPS = 8


def _pad(b: SlideBuilder) -> float:
    return max(12.0, min(32.0, b.gap))


def _per_row(n: int) -> int:
    return n if n <= 4 else math.ceil(n / 2)


def _entries(value: Any, limit: int, text_key: str) -> list[dict[str, Any]]:
    """Objects from a list; a bare string becomes {text_key: string}."""
    out: list[dict[str, Any]] = []
    for item in list_of(value, limit):
        if isinstance(item, dict):
            out.append(item)
        elif text_of(item):
            out.append({text_key: text_of(item)})
    return out


def _stacked_texts(
    b: SlideBuilder,
    boxes: Sequence[Box],
    heads: Sequence[str],
    bodies: Sequence[list[str]],
    *,
    head_role: str,
    body_role: str,
    head_color: str,
    align: Any = "left",
    head_lines: int = 2,
    bullets: bool = False,
) -> None:
    """In each box a heading (common size) and under it a body (common size); the bodies
    start at one height so they line up."""
    head_style = b.style(b.heading_size * 0.85, heading=True, color=head_color, align=align)
    head_h = head_style.size * head_style.line_height * head_lines
    head_fits = b.fit_group(
        [
            ([h], Box(x=bx.x, y=bx.y, w=bx.w, h=min(head_h, bx.h * 0.45)))
            for h, bx in zip(heads, boxes, strict=True)
        ],
        head_style,
        min_size=max(b.minimum, head_style.size * 0.6),
    )
    used = max((f.height for f in head_fits if f.lines and any(f.paragraphs)), default=0.0)
    for fitted in head_fits:
        b.add_text(fitted, head_role, tight=True)
    offset = used + (b.gap * 0.5 if used else 0.0)
    body_style = b.style(b.body_size * 0.9, align=align, line_height=1.25)
    body_fits: list[FittedText] = b.fit_group(
        [
            (body, Box(x=bx.x, y=bx.y + offset, w=bx.w, h=max(0.0, bx.h - offset)))
            for body, bx in zip(bodies, boxes, strict=True)
        ],
        body_style,
        bullets=bullets,
    )
    for fitted in body_fits:
        b.add_text(fitted, body_role)


def _side(value: Any) -> tuple[str, list[str], bool]:
    """(heading, paragraphs, bulleted) of one column's content."""
    if not isinstance(value, dict):
        return "", strings_of(value), isinstance(value, list)
    heading = text_of(value.get("heading")) or text_of(value.get("title"))
    body = next((value[k] for k in ("body", "text", "points", "bullets") if k in value), None)
    return heading, strings_of(body), isinstance(body, list)


def place_two_columns(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    region = b.below(y)
    sides = [_side(content.get("left")), _side(content.get("right"))]
    cols = columns(region, 2, b.gap)
    for col in cols:
        b.card(col)
    inner = [inset(col, _pad(b)) for col in cols]
    bulleted = sides[0][2] and sides[1][2]
    _stacked_texts(
        b,
        inner,
        [s[0] for s in sides],
        [s[1] for s in sides],
        head_role="heading",
        body_role="body",
        head_color=b.colors.primary,
        bullets=bulleted,
    )


def place_icon_cards(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    cards = _entries(content.get("cards"), MAX_CARDS, "text")
    if not cards:
        return
    region = b.below(y)
    per_row = _per_row(len(cards))
    if len(cards) <= per_row:
        region = Box(x=region.x, y=region.y, w=region.w, h=min(region.h, 420.0))
    cells = grid(region, len(cards), b.gap, per_row)
    pad = _pad(b)
    boxes: list[Box] = []
    for card, cell in zip(cards, cells, strict=True):
        b.card(cell)
        inner = inset(cell, pad)
        icon = dict_of(card.get("icon"))
        size = max(0.0, min(56.0, inner.h * 0.3, inner.w * 0.4))
        alt = text_of(icon.get("__icon_query__"), 100)
        b.image(
            icon_url(card.get("icon")),
            Box(x=inner.x, y=inner.y, w=size, h=size),
            fit="contain",
            alt=alt,
            tint=b.colors.primary,  # icons are one-colour: drawn in the theme's colour
        )
        top = inner.y + size + pad * 0.6
        boxes.append(Box(x=inner.x, y=top, w=inner.w, h=max(0.0, inner.y + inner.h - top)))
    _stacked_texts(
        b,
        boxes,
        [text_of(c.get("heading")) or text_of(c.get("title")) for c in cards],
        [strings_of(c.get("text")) or strings_of(c.get("description")) for c in cards],
        head_role="card-heading",
        body_role="card-text",
        head_color=b.colors.primary,
    )


def place_metrics(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    metrics = _entries(content.get("metrics"), MAX_METRICS, "value")
    if not metrics:
        return
    region = b.below(y)
    per_row = _per_row(len(metrics))
    if len(metrics) <= per_row:
        h = min(region.h, 300.0)
        region = Box(x=region.x, y=region.y + (region.h - h) / 2, w=region.w, h=h)
    cells = grid(region, len(metrics), b.gap, per_row)
    values: list[tuple[list[str], Box]] = []
    labels: list[tuple[list[str], Box]] = []
    for metric, cell in zip(metrics, cells, strict=True):
        b.card(cell)
        inner = inset(cell, _pad(b))
        split = inner.h * 0.55
        values.append(
            ([text_of(metric.get("value"), 200)], Box(x=inner.x, y=inner.y, w=inner.w, h=split))
        )
        label_box = Box(
            x=inner.x, y=inner.y + split + 6, w=inner.w, h=max(0.0, inner.h - split - 6)
        )
        labels.append(([text_of(metric.get("label"))], label_box))
    value_style = b.style(
        b.figure_size,
        heading=True,
        color=b.colors.accent,
        bold=True,
        align="center",
        line_height=1.1,
    )
    for fitted in b.fit_group(values, value_style, valign="bottom"):
        b.add_text(fitted, "figure")
    label_style = b.style(b.body_size * 0.9, color=b.colors.muted, align="center", line_height=1.2)
    for fitted in b.fit_group(labels, label_style):
        b.add_text(fitted, "label")


def place_timeline(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    steps = _entries(content.get("steps"), MAX_STEPS, "description")
    if not steps:
        return
    region = b.below(y)
    dot = 20.0
    line_y = region.y + dot / 2 + 4
    slot = region.w / len(steps)
    b.shape(Box(x=region.x, y=line_y - 2, w=region.w, h=4), fill=b.colors.border)
    pad = min(12.0, slot * 0.08)
    boxes: list[Box] = []
    for i in range(len(steps)):
        cx = region.x + (i + 0.5) * slot
        b.shape(
            Box(x=cx - dot / 2, y=line_y - dot / 2, w=dot, h=dot), "ellipse", fill=b.colors.accent
        )
        top = line_y + dot / 2 + b.gap * 0.75
        boxes.append(
            Box(
                x=region.x + i * slot + pad,
                y=top,
                w=slot - 2 * pad,
                h=max(0.0, region.y + region.h - top),
            )
        )
    _stacked_texts(
        b,
        boxes,
        [text_of(s.get("label")) or text_of(s.get("title")) for s in steps],
        [strings_of(s.get("description")) or strings_of(s.get("text")) for s in steps],
        head_role="step-label",
        body_role="step-text",
        head_color=b.colors.primary,
        align="center",
    )
