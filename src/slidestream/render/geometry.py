"""Slide content + layout kind + theme -> the slide geometry every renderer draws.

`slide_geometry` never raises on content: whatever the content holds (missing properties,
wrong types, over-long text, too many items, None), the result is a valid `SlideGeometry`
whose elements lie inside the canvas and whose text fits its boxes. It is plain CPU work;
async callers run it in a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from slidestream.render.fonts import FONT_FAMILIES, family_for_char, resolve_family
from slidestream.render.layouts import PLACERS, SlideBuilder, place_generic
from slidestream.render.layouts.common import text_of
from slidestream.render.model import (
    ChartElement,
    DeckGeometry,
    Element,
    SlideGeometry,
    TableElement,
    TextElement,
)
from slidestream.templates.themes import Theme

log = logging.getLogger(__name__)

MAX_NOTES = 20_000
SPEAKER_NOTE = "__speaker_note__"


def _elements(content: dict[str, Any], kind: str, theme: Theme) -> list[Element]:
    builder = SlideBuilder(theme)
    builder.decorate()
    PLACERS.get(kind, place_generic)(builder, content)
    return builder.elements


def slide_geometry(
    content: dict[str, Any], layout_id: str, kind: str | None, theme: Theme, *, notes: str = ""
) -> SlideGeometry:
    """Place one slide's content by its layout kind (unknown or None: the generic
    arrangement). `notes` (default: the content's `__speaker_note__`) become the notes."""
    data: dict[str, Any] = content if isinstance(content, dict) else {}
    placed = kind if isinstance(kind, str) and kind in PLACERS else "generic"
    note = text_of(notes, MAX_NOTES) or text_of(data.get(SPEAKER_NOTE), MAX_NOTES)
    try:
        elements = _elements(data, placed, theme)
    except Exception:
        log.exception("placing a %s slide failed; using the generic arrangement", placed)
        try:
            placed = "generic"
            elements = _elements(data, placed, theme)
        except Exception:
            log.exception("the generic arrangement failed; the slide is left empty")
            elements = []
    return SlideGeometry(
        background=theme.colors.background,
        elements=elements,
        notes=note,
        layout=text_of(layout_id, 300),
        kind=placed,
    )


def _texts(element: Element) -> Iterable[tuple[str, str]]:
    """(family, text) of everything an element writes."""
    if isinstance(element, TextElement):
        for line in element.lines:
            yield element.style.font, line.text
    elif isinstance(element, ChartElement):
        for part in element.parts:
            if part.kind == "label":
                yield part.font or element.font, part.text
    elif isinstance(element, TableElement):
        for row in element.cells:
            for cell in row:
                yield from _texts(cell)


def fonts_used(slides: Sequence[SlideGeometry]) -> list[str]:
    """The bundled families the slides draw with, fallbacks for their characters included,
    in `FONT_FAMILIES` order."""
    used: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for slide in slides:
        for element in slide.elements:
            for family, text in _texts(element):
                family = resolve_family(family)
                used.add(family)
                for char in set(text):
                    if (family, char) in seen:
                        continue
                    seen.add((family, char))
                    drawn_by = family_for_char(family, char)
                    if drawn_by:
                        used.add(drawn_by)
    return [f for f in FONT_FAMILIES if f in used]


def deck_geometry(
    title: str,
    slides: Sequence[tuple[dict[str, Any], str, str | None, str]],
    theme: Theme,
) -> DeckGeometry:
    """Every slide of a deck: (content, layout id, kind, speaker notes) each, in order."""
    placed: list[SlideGeometry] = []
    for content, layout_id, kind, notes in slides:
        placed.append(slide_geometry(content, layout_id, kind, theme, notes=notes or ""))
    return DeckGeometry(title=text_of(title, 500), slides=placed, fonts=fonts_used(placed))
