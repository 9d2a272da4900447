"""Centred statement slides: title, closing and quote."""

from __future__ import annotations

from typing import Any

from slidestream.render.layouts.common import Align, SlideBuilder, text_of
from slidestream.render.model import Box
from slidestream.render.text import FittedText

_BAR_W, _BAR_H = 72.0, 6.0


def _stack(b: SlideBuilder, blocks: list[tuple[FittedText | None, str, float]]) -> None:
    """Place fitted blocks (or the accent bar, for None) one under the other, the whole
    stack centred vertically in the area. Each block: (fitted, role, space above)."""
    shown = [
        (f, role, space)
        for f, role, space in blocks
        if f is None or any(line.text for line in f.lines)
    ]
    while shown and shown[0][0] is None:
        shown.pop(0)
    while shown and shown[-1][0] is None:
        shown.pop()
    if not shown:
        return
    heights = [(_BAR_H if f is None else f.height) for f, _, _ in shown]
    spaces = [0.0] + [space for _, _, space in shown[1:]]
    total = sum(heights) + sum(spaces)
    area = b.area
    y = area.y + max(0.0, (area.h - total) / 2)
    for (fitted, role, _), height, space in zip(shown, heights, spaces, strict=True):
        y += space
        if fitted is None:
            align = "left" if b.theme.decoration == "band" else "center"
            x = area.x if align == "left" else area.x + (area.w - _BAR_W) / 2
            b.shape(Box(x=x, y=y, w=_BAR_W, h=_BAR_H), fill=b.colors.accent)
        else:
            element = fitted.element(role)
            dy = y - (fitted.lines[0].y if fitted.lines else element.y)
            element.y, element.h = y, height
            for line in element.lines:
                line.y += dy
            b.elements.append(element)
        y += height


def _hero_align(b: SlideBuilder) -> Align:
    return "left" if b.theme.decoration == "band" else "center"


def _statement(b: SlideBuilder, title: str, second: str, second_role: str) -> None:
    area, align = b.area, _hero_align(b)
    bar = b.theme.decoration == "bar"
    sep = b.gap + (_BAR_H + b.gap if bar else 0.0)
    t_style = b.style(
        b.hero_size, heading=True, color=b.colors.primary, align=align, line_height=1.08
    )
    t_box = Box(x=area.x, y=area.y, w=area.w, h=min(b.hero_size * 1.08 * 3, area.h * 0.6))
    t_fit = b.fit([title], t_box, t_style, min_size=max(b.minimum, b.hero_size * 0.4))
    room = area.h - (t_fit.height + sep if t_fit.lines else 0.0)
    s_style = b.style(b.heading_size, color=b.colors.muted, align=align, line_height=1.25)
    s_box = Box(x=area.x, y=area.y, w=area.w, h=max(0.0, min(b.heading_size * 1.25 * 4, room)))
    s_fit = b.fit([second], s_box, s_style)
    blocks: list[tuple[FittedText | None, str, float]] = [(t_fit, "title", 0.0)]
    if bar:
        blocks.append((None, "decoration", b.gap))
    blocks.append((s_fit, second_role, b.gap))
    _stack(b, blocks)


def place_title(b: SlideBuilder, content: dict[str, Any]) -> None:
    _statement(b, text_of(content.get("title")), text_of(content.get("subtitle")), "subtitle")


def place_closing(b: SlideBuilder, content: dict[str, Any]) -> None:
    _statement(b, text_of(content.get("title")), text_of(content.get("message")), "message")


def place_quote(b: SlideBuilder, content: dict[str, Any]) -> None:
    quote = text_of(content.get("quote")).strip("\"'\u201c\u201d\u00ab\u00bb ")
    author = text_of(content.get("author"), 300)
    area, align = b.area, _hero_align(b)
    mark_size = min(b.hero_size * 1.4, area.h * 0.25)
    mark_style = b.style(
        mark_size, heading=True, color=b.colors.accent, bold=True, align=align, line_height=0.9
    )
    mark = b.fit(
        ["\u201c"],
        Box(x=area.x, y=area.y, w=area.w, h=mark_size * 0.9),
        mark_style,
        min_size=mark_size,
    )
    room = area.h - mark.height - b.gap * 2 - b.body_size * 1.25 * 2
    q_style = b.style(
        b.heading_size * 1.15, heading=True, bold=False, italic=True, align=align, line_height=1.3
    )
    inset_x = 0.0 if align == "left" else area.w * 0.06
    q_box = Box(x=area.x + inset_x, y=area.y, w=area.w - 2 * inset_x, h=max(0.0, room))
    q_fit = b.fit([quote], q_box, q_style)
    a_style = b.style(b.body_size, color=b.colors.muted, align=align, line_height=1.25)
    a_box = Box(x=q_box.x, y=area.y, w=q_box.w, h=b.body_size * 1.25 * 2)
    a_fit = b.fit([f"\u2014 {author}"] if author else [], a_box, a_style)
    _stack(b, [(mark, "decoration", 0.0), (q_fit, "quote", b.gap * 0.5), (a_fit, "author", b.gap)])
