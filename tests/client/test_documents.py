"""Partial parsing of streamed documents: Presenton's comma-less deck, any chunking."""

from __future__ import annotations

import json

import pytest

from slidestream.client.documents import DeckDocument, outline_texts

SLIDES = [
    {"index": 0, "content": {"title": "Braces { and } and [ ] in text", "n": [1, {"a": 2}]}},
    {"index": 1, "content": {"title": 'Quotes \\" and escapes \\\\ "'}},
    {"index": 2, "content": {}},
]


def _deck_text(commas: bool) -> str:
    separator = ", " if commas else ""
    return '{ "slides": [ ' + separator.join(json.dumps(s) for s in SLIDES) + " ] }"


@pytest.mark.parametrize("commas", [True, False])
@pytest.mark.parametrize("size", [1, 3, 7, 10_000])
def test_slides_come_out_whole_whatever_the_chunking(commas: bool, size: int) -> None:
    text = _deck_text(commas)
    document = DeckDocument()
    found = []
    for start in range(0, len(text), size):
        found.extend(document.feed(text[start : start + size]))
    assert found == SLIDES


def test_a_slide_is_returned_by_the_chunk_that_completes_it() -> None:
    document = DeckDocument()
    assert document.feed('{ "slides": [ ') == []
    assert document.feed('{"index": 0, "content": {"t": "x}') == []
    assert document.feed('"}}') == [{"index": 0, "content": {"t": "x}"}}]
    assert document.feed('{"index": 1}') == [{"index": 1}]
    assert document.feed(" ] }") == []


def test_outline_prefixes_parse_as_far_as_they_go() -> None:
    text = json.dumps({"slides": [{"content": "# One\n\n- a"}, {"content": "# Two"}]})
    seen = [outline_texts(text[:end]) for end in range(1, len(text) + 1)]
    assert seen[-1] == ("# One\n\n- a", "# Two")
    counts = [len(texts) for texts in seen if texts is not None]
    assert counts == sorted(counts)  # the outline only grows
    assert ("# One\n\n- a", "# T") in seen  # an unfinished text is shown as far as written


def test_outline_of_garbage_is_unknown() -> None:
    assert outline_texts("") is None
    assert outline_texts("not json") is None
