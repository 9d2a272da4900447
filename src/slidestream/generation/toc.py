"""Presenton's table-of-contents behaviour: fewer outlines, TOC slides inserted at prepare.

With `include_table_of_contents`, the outline step asks for fewer outlines than `n_slides`
and `/prepare` fills the gap with TOC slides placed after the title slide, each listing the
slides that follow with their page numbers.
"""

from __future__ import annotations

import re

from slidestream.domain.layouts import PresentationLayoutModel, SlideLayoutModel

# Presenton's own patterns (`utils/ppt_utils.py`, era A), tried in this order: each pattern
# is searched over every layout before the next pattern is tried.
TOC_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\btable\s*of\s*contents\b",
        r"\btable[- ]?of[- ]?contents\b",
        r"\bagenda\b",
        r"\bcontents\b",
        r"\boutline\b",
        r"\bindex\b",
        r"\btoc\b",
    )
)
LIST_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(bullet(ed)?\s*list|bullets?)\b",
        r"\b(numbered\s*list|ordered\s*list|unordered\s*list)\b",
        r"\blist\b",
    )
)
TOC_TITLE = "Table of Contents"
ENTRIES_PER_TOC_SLIDE = 10
PREVIEW_CHARS = 100


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def outline_count_for(n_slides: int, include_toc: bool) -> int:
    """How many outlines to request so that the table-of-contents slides make up the rest."""
    if not include_toc or n_slides < 1:
        return n_slides
    # Presenton era A (`api/v1/ppt/endpoints/outlines.py`): one TOC slide per ten content
    # slides, computed as `needed = ceil((n - 1) / 10)` and `n - ceil((n - needed) / 10)`
    # outlines (10 -> 9, 25 -> 22, 50 -> 45). Kept so decks come out the same size as
    # Presenton's. At n = 1 the formula gives 0; a deck needs at least one real slide.
    needed = _ceil_div(n_slides - 1, ENTRIES_PER_TOC_SLIDE)
    return max(1, n_slides - _ceil_div(n_slides - needed, ENTRIES_PER_TOC_SLIDE))


def _candidates(layout: SlideLayoutModel) -> list[str]:
    title = layout.json_schema.get("title")
    return [layout.id, layout.name or "", layout.description or "", title or ""]


def _matches(layout: SlideLayoutModel, pattern: re.Pattern[str]) -> bool:
    return any(isinstance(text, str) and pattern.search(text) for text in _candidates(layout))


def is_toc_layout(layout: SlideLayoutModel) -> bool:
    """Whether Presenton would take this layout for a table-of-contents slide."""
    return any(_matches(layout, pattern) for pattern in TOC_PATTERNS)


def find_toc_layout_index(layout: PresentationLayoutModel) -> int | None:
    """The layout Presenton uses for TOC slides: TOC-like first, else list-like, else None."""
    for pattern in (*TOC_PATTERNS, *LIST_PATTERNS):
        for index, slide in enumerate(layout.slides):
            if _matches(slide, pattern):
                return index
    return None


def _preview(text: str) -> str:
    # One line per entry: an outline's markdown line breaks would split it.
    return " ".join(text.split())[:PREVIEW_CHARS]


def _toc_outline(entries: list[tuple[int, str]]) -> str:
    lines = [
        f"Slide page number: {page} / Slide Content: {_preview(text)}" for page, text in entries
    ]
    return "\n".join([TOC_TITLE, *lines])


def _split_evenly(items: list[tuple[int, str]], parts: int) -> list[list[tuple[int, str]]]:
    size, extra = divmod(len(items), parts)
    chunks = []
    start = 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


def insert_toc(
    outlines: list[str],
    structure: list[int],
    layout: PresentationLayoutModel,
    n_slides: int,
    include_title_slide: bool,
) -> tuple[list[str], list[int]]:
    """Insert TOC slides (after the title slide, else first) listing the slides after them.

    Returns new lists; the inputs are not changed. Page numbers are 1-based positions in
    the final deck, so they count the inserted TOC slides.
    """
    toc_index = find_toc_layout_index(layout)
    position = 1 if include_title_slide and outlines else 0
    # As in Presenton the title slide is not listed: the TOC covers what comes after it.
    listed = outlines[position:]
    # Presenton inserts `n_slides - len(outlines)` slides however few outlines are left,
    # so a user who deleted outlines got TOC slides with nothing on them. We never insert
    # more TOC slides than there are entries (the formula above can ask for two slides for
    # ten entries, n = 13, so a tighter cap would change decks of the requested size).
    count = min(n_slides - len(outlines), len(listed))
    if count <= 0 or toc_index is None:
        return list(outlines), list(structure)
    first_listed_page = position + count + 1
    entries = [(first_listed_page + offset, text) for offset, text in enumerate(listed)]
    toc_outlines = [_toc_outline(chunk) for chunk in _split_evenly(entries, count)]
    new_outlines = [*outlines[:position], *toc_outlines, *outlines[position:]]
    new_structure = [*structure[:position], *([toc_index] * count), *structure[position:]]
    return new_outlines, new_structure
