"""Cutting an upstream byte stream into whole events, however the bytes arrive."""

from __future__ import annotations

import json

import pytest

from slidestream.gateway.sse import MAX_EVENT_BYTES, EventTooLarge, SSEEvent, SSEParser

STREAM = (
    ": slidestream\nretry: 2000\n\n"
    'id: d1:0\nevent: response\ndata: {"type": "chunk", "chunk": "{ \\"slides\\": [ "}\n\n'
    ": ping\n\n"
    "id: d1:1\nevent: response\n"
    'data: {"type": "chunk", "chunk": "{\\"title\\": \\"Caf\u00e9 complete\\"}"}\n\n'
    'id: d1:end\nevent: response\ndata: {"type": "complete", "presentation": {"slides": []}}\n\n'
)


def _feed_in_pieces(data: bytes, size: int) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for start in range(0, len(data), size):
        events.extend(parser.feed(data[start : start + size]))
    return events


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_events_are_the_same_however_the_bytes_are_cut(newline: str) -> None:
    data = STREAM.replace("\n", newline).encode()
    whole = SSEParser().feed(data)
    assert [e.encode().decode() for e in whole] == [b + "\n\n" for b in STREAM.split("\n\n")[:-1]]
    for size in (1, 2, 3, 7, 64):
        assert _feed_in_pieces(data, size) == whole


def test_fields_data_and_terminal_frames() -> None:
    events = SSEParser().feed(STREAM.encode())
    opening, first, ping, slide, complete = events
    assert opening.data is None and opening.field("retry") == "2000"
    assert ping.data is None and not ping.is_terminal
    assert first.field("id") == "d1:0" and first.field("event") == "response"
    assert json.loads(first.data or "")["type"] == "chunk"
    # "complete" inside a slide's text does not end the stream.
    assert not slide.is_terminal
    assert complete.is_terminal and complete.field("id") == "d1:end"


def test_an_error_frame_is_terminal_and_multi_line_data_is_joined() -> None:
    (error,) = SSEParser().feed(b'event: response\ndata: {"type":\ndata:  "error"}\n\n')
    assert error.data == '{"type":\n "error"}'
    assert error.is_terminal


def test_a_byte_order_mark_and_an_unfinished_event_are_not_forwarded() -> None:
    parser = SSEParser()
    assert parser.feed(b"\xef\xbb\xbfdata: a\n\ndata: b") == [SSEEvent(b"data: a")]
    assert parser.feed(b"\n") == []


def test_a_multibyte_character_split_between_reads_survives() -> None:
    data = "data: caf\u00e9\n\n".encode()
    cut = data.index(b"\xa9")
    parser = SSEParser()
    assert parser.feed(data[:cut]) == []
    assert parser.feed(data[cut:]) == [SSEEvent("data: caf\u00e9".encode())]


def test_an_endless_event_is_refused() -> None:
    parser = SSEParser()
    line = b"data: " + b"x" * (1024 * 1024)
    with pytest.raises(EventTooLarge):
        for _ in range(MAX_EVENT_BYTES // (1024 * 1024) + 2):
            parser.feed(line + b"\n")


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_a_byte_order_mark_cut_between_reads_is_still_dropped(cut: int) -> None:
    data = b"\xef\xbb\xbfdata: a\n\ndata: b\n\n"
    parser = SSEParser()
    events = parser.feed(data[:cut]) + parser.feed(data[cut:])
    assert events == [SSEEvent(b"data: a"), SSEEvent(b"data: b")]


def test_ids_as_a_client_would_read_them() -> None:
    (plain, spaced, empty, bare, nul, none, last) = SSEParser().feed(
        b"id: d1:2\ndata: x\n\n"
        b"id:d1:3\n\n"
        b"id: \ndata: x\n\n"
        b"id\n\n"
        b"id: a\0b\ndata: x\n\n"
        b'data: {"id": 1}\n\n'
        b"id: one\nid: two\n\n"
    )
    assert (plain.id, spaced.id, empty.id, bare.id) == ("d1:2", "d1:3", "", "")
    assert nul.id is None  # ignored, as clients ignore it
    assert none.id is None and none.has_data
    assert last.id == "two" and not last.has_data
