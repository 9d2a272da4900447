"""Presenton's table-of-contents behaviour: fewer outlines, TOC slides inserted at prepare."""

from __future__ import annotations

import math
import re

from slidestream.domain.layouts import PresentationLayoutModel, SlideLayoutModel

_TOC = re.compile(r"table of contents|agenda|contents|outline|index|toc", re.IGNORECASE)
_LIST = re.compile(r"bullet|list", re.IGNORECASE)
ENTRIES_PER_TOC_SLIDE = 10
PREVIEW_CHARS = 100


def outline_count_for(n_slides: int, include_toc: bool) -> int:
    """How many outlines to ask for so that the TOC slides make up the rest.

    Presenton (era A) reserves one TOC slide per ten content slides:
    `needed = ceil((n - 1) / 10)` and it generates `n - ceil((n - needed) / 10)` outlines,
    e.g. 10 slides -> 9 outlines + 1 TOC slide. Kept as is for wire compatibility."""
    if not include_toc:
        return n_slides
    needed = math.ceil((n_slides - 1) / ENTRIES_PER_TOC_SLIDE)
    return max(1, n_slides - math.ceil((n_slides - needed) / ENTRIES_PER_TOC_SLIDE))


def _text(layout: SlideLayoutModel) -> str:
    title = str(layout.json_schema.get("title", ""))
    return " ".join([layout.id, layout.name or "", layout.description or "", title])


def find_toc_layout_index(layout: PresentationLayoutModel) -> int | None:
    """The first TOC-like layout, else the first list-like one, else None."""
    for pattern in (_TOC, _LIST):
        for index, slide in enumerate(layout.slides):
            if pattern.search(_text(slide)):
                return index
    return None


def insert_toc(
    outlines: list[str],
    structure: list[int],
    layout: PresentationLayoutModel,
    n_slides: int,
    include_title_slide: bool,
) -> tuple[list[str], list[int]]:
    """Insert `n_slides - len(outlines)` TOC slides listing the other slides."""
    count = n_slides - len(outlines)
    toc_index = find_toc_layout_index(layout)
    if count <= 0 or toc_index is None:
        return outlines, structure
    position = 1 if include_title_slide and outlines else 0
    # Page numbers are 1-based and count the inserted TOC slides.
    entries = [
        (page if page <= position else page + count, text)
        for page, text in enumerate(outlines, start=1)
        if page - 1 != 0 or not include_title_slide
    ]
    per_slide = math.ceil(len(entries) / count) if entries else 0
    toc_outlines = []
    for part in range(count):
        chunk = entries[part * per_slide : (part + 1) * per_slide]
        lines = ["Table of Contents"] + [
            f"Slide page number: {page} / Slide Content: {text[:PREVIEW_CHARS]}"
            for page, text in chunk
        ]
        toc_outlines.append("\n".join(lines))
    new_outlines = outlines[:position] + toc_outlines + outlines[position:]
    new_structure = structure[:position] + [toc_index] * count + structure[position:]
    return new_outlines, new_structure
