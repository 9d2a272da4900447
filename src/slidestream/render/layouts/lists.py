"""Text-list slides: agenda, bullets, bullets with an image, and the generic arrangement."""

from __future__ import annotations

from typing import Any

from slidestream.render.layouts.common import (
    SlideBuilder,
    columns,
    dict_of,
    find_image,
    first_title,
    flat_text,
    image_url,
    inset,
    strings_of,
    text_of,
)
from slidestream.render.model import Box

MAX_AGENDA = 12
MAX_BULLETS = 30


def _bullets(b: SlideBuilder, points: list[str], region: Box) -> None:
    style = b.style(b.body_size, line_height=1.25)
    b.text("body", points, region, style, bullets=True)


def place_bullets(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    _bullets(b, strings_of(content.get("bullets"), MAX_BULLETS), b.below(y))


def _with_image(b: SlideBuilder, title: str, points: list[str], src: str, alt: str) -> None:
    area = b.area
    split = (area.w - b.gap * 1.5) * 0.56
    text_col = Box(x=area.x, y=area.y, w=split, h=area.h)
    image_col = Box(
        x=area.x + split + b.gap * 1.5, y=area.y, w=area.w - split - b.gap * 1.5, h=area.h
    )
    y = b.title(title, text_col)
    if points:
        _bullets(b, points, b.below(y, text_col))
    b.image(src, image_col, alt=alt)


def place_bullets_image(b: SlideBuilder, content: dict[str, Any]) -> None:
    image = dict_of(content.get("image"))
    _with_image(
        b,
        text_of(content.get("title")),
        strings_of(content.get("bullets"), MAX_BULLETS),
        image_url(content.get("image")),
        text_of(image.get("__image_prompt__"), 300),
    )


def place_agenda(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    items = strings_of(content.get("items"), MAX_AGENDA)
    if not items:
        return
    region = b.below(y)
    n_cols = 2 if len(items) > 6 else 1
    per_col = -(-len(items) // n_cols)
    cols = columns(region, n_cols, b.gap * 2)
    row_h = min(b.body_size * 2.6, region.h / per_col)
    num_w = b.body_size * 2.4
    numbers: list[tuple[list[str], Box]] = []
    texts: list[tuple[list[str], Box]] = []
    for i, _item in enumerate(items):
        col = cols[i // per_col]
        row = Box(x=col.x, y=col.y + (i % per_col) * row_h, w=col.w, h=row_h)
        numbers.append(([f"{i + 1:02d}"], Box(x=row.x, y=row.y, w=num_w, h=row.h)))
        texts.append(([items[i]], Box(x=row.x + num_w, y=row.y, w=row.w - num_w, h=row.h)))
        if i % per_col < per_col - 1 and i < len(items) - 1:
            b.shape(Box(x=row.x, y=row.y + row.h - 1, w=row.w, h=1), fill=b.colors.border)
    num_style = b.style(b.body_size, heading=True, color=b.colors.accent, bold=True)
    for fitted in b.fit_group(numbers, num_style, valign="middle"):
        b.add_text(fitted, "number")
    for fitted in b.fit_group(texts, b.style(b.body_size, line_height=1.15), valign="middle"):
        b.add_text(fitted, "item")


def _generic_points(content: dict[str, Any], skip: str | None) -> list[str]:
    points: list[str] = []
    for key, value in content.items():
        if key == skip or str(key).startswith("__"):
            continue
        if isinstance(value, dict):
            nested = [flat_text(v) for k, v in value.items() if not str(k).startswith("__")]
            points.extend(p for p in nested if p)
        else:
            points.extend(strings_of(value, MAX_BULLETS))
        if len(points) >= MAX_BULLETS:
            break
    return points[:MAX_BULLETS]


def place_generic(b: SlideBuilder, content: dict[str, Any]) -> None:
    """A client's own layout: a title, every other text as points, the first image."""
    title, key = first_title(content)
    points = _generic_points(content, key)
    src = find_image(content)
    if src:
        if points:
            _with_image(b, title, points, src, "")
        else:
            y = b.title(title)
            b.image(src, inset(b.below(y), 0), fit="contain")
        return
    y = b.title(title)
    _bullets(b, points, b.below(y))
