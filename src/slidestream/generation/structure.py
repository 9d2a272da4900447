"""Choosing one layout per slide (the "structure"), and repairing whatever a model returns."""

from __future__ import annotations

import re
from typing import Any

from slidestream.domain.layouts import PresentationLayoutModel, SlideLayoutModel
from slidestream.generation.toc import _TOC

_TITLE = re.compile(r"\btitle slide\b|\bintro|\bcover\b|opening", re.IGNORECASE)
_CLOSING = re.compile(r"closing|conclusion|thank|final slide|summary", re.IGNORECASE)
_CLOSING_OUTLINE = re.compile(r"conclusion|thank|summary|next steps|takeaway|q&a", re.IGNORECASE)


def structure_schema(n: int, n_layouts: int) -> dict[str, Any]:
    """Schema of the structure answer: exactly `n` layout indices."""
    return {
        "type": "object",
        "properties": {
            "slides": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": max(n_layouts - 1, 0)},
                "minItems": n,
                "maxItems": n,
            }
        },
        "required": ["slides"],
        "additionalProperties": False,
    }


def structure_prompt(layout: PresentationLayoutModel, outlines: list[str]) -> tuple[str, str]:
    """(system, user) messages asking for one layout index per outline."""
    layouts = "\n".join(
        f"- index {i}: {s.name or s.id}: {s.description or 'no description'}"
        for i, s in enumerate(layout.slides)
    )
    system = (
        "You choose the layout of each slide of a presentation. Answer with JSON: "
        '{"slides": [one layout index per slide, in order]}.\n'
        "Pick the layout whose description fits the slide's content best. Use a title "
        "layout only for an opening title slide, and a table-of-contents layout only for a "
        "table-of-contents slide. Vary layouts where the content allows.\n\n"
        f"Available layouts:\n{layouts}"
    )
    slides = "\n\n".join(f"Slide {i + 1}:\n{text}" for i, text in enumerate(outlines))
    user = f"Choose a layout for each of these {len(outlines)} slides.\n\n{slides}"
    return system, user


def ordered_structure(layout: PresentationLayoutModel, n: int) -> list[int]:
    """For an ordered group: slide i uses layout i, cycling when there are more slides."""
    return [i % len(layout.slides) for i in range(n)]


def _describes(slide: SlideLayoutModel) -> str:
    return " ".join([slide.id, slide.name or "", slide.description or ""])


def heuristic_structure(layout: PresentationLayoutModel, outlines: list[str]) -> list[int]:
    """A deterministic choice without a model: title first, closing last, rotate the rest."""
    kinds = [_describes(s) for s in layout.slides]
    title = next((i for i, k in enumerate(kinds) if _TITLE.search(k)), None)
    closing = next((i for i, k in enumerate(kinds) if _CLOSING.search(k)), None)
    content = (
        [i for i, k in enumerate(kinds) if i not in (title, closing) and not _TOC.search(k)]
        or [i for i in range(len(kinds)) if not _TOC.search(kinds[i])]
        or [0]
    )
    result = []
    for position, text in enumerate(outlines):
        if position == 0 and title is not None and len(outlines) > 1:
            result.append(title)
        elif (
            position == len(outlines) - 1
            and position > 0
            and closing is not None
            and _CLOSING_OUTLINE.search(text)
        ):
            result.append(closing)
        else:
            result.append(content[(position - 1) % len(content)])
    return result


def repair_structure(
    raw: object, layout: PresentationLayoutModel, outlines: list[str]
) -> list[int]:
    """Exactly one valid layout index per outline, whatever the model answered."""
    fallback = heuristic_structure(layout, outlines)
    candidate = raw.get("slides") if isinstance(raw, dict) else raw
    values = candidate if isinstance(candidate, list) else []
    result: list[int] = []
    for position in range(len(outlines)):
        value = values[position] if position < len(values) else None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and 0 <= value < len(layout.slides)
        ):
            result.append(value)
        else:
            result.append(fallback[position])
    return result
