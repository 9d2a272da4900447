"""Partial parsing of the streamed JSON documents.

The deck document is `{ "slides": [ <slide> <slide> ... ] }` with or without commas
between slides (Presenton omits them, so the text is never valid JSON and a partial JSON
parser stops at the first slide). `DeckDocument` therefore finds each slide object by
tracking nesting itself and parses the objects one by one, whatever the chunk boundaries.
The outline document is ordinary JSON written token by token; jiter's partial mode reads
every prefix of it.
"""

from __future__ import annotations

from typing import Any

import jiter

_SLIDE_DEPTH = 3  # `{` document, `[` slides, `{` a slide


def parse_partial(text: str) -> Any:
    """A JSON prefix parsed as far as it goes (unfinished strings kept); None if hopeless."""
    try:
        return jiter.from_json(text.encode(), partial_mode="trailing-strings")
    except ValueError:
        return None


def outline_texts(text: str) -> tuple[str, ...] | None:
    """The slide outlines in a (partial) `{"slides": [{"content": ...}]}` document."""
    document = parse_partial(text)
    if not isinstance(document, dict):
        return None if document is None else ()
    slides = document.get("slides")
    if not isinstance(slides, list):
        return ()
    return tuple(
        slide["content"]
        for slide in slides
        if isinstance(slide, dict) and isinstance(slide.get("content"), str)
    )


class DeckDocument:
    """Accumulates deck chunks and returns each slide object as soon as it is complete."""

    def __init__(self) -> None:
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._pending: list[str] = []  # text of the slide object being received
        self._capturing = False

    def feed(self, chunk: str) -> list[dict[str, Any]]:
        """The slides completed by `chunk`, in document order."""
        completed: list[dict[str, Any]] = []
        start = 0
        for position, char in enumerate(chunk):
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
                continue
            if char == '"':
                self._in_string = True
            elif char in "{[":
                self._depth += 1
                if self._depth == _SLIDE_DEPTH and char == "{":
                    self._capturing, start = True, position
            elif char in "}]":
                self._depth -= 1
                if self._depth == _SLIDE_DEPTH - 1 and self._capturing:
                    text = "".join(self._pending) + chunk[start : position + 1]
                    self._pending.clear()
                    self._capturing = False
                    slide = parse_partial(text)
                    if isinstance(slide, dict):
                        completed.append(slide)
        if self._capturing:
            self._pending.append(chunk[start:])
        return completed
