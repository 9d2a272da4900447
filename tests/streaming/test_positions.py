"""Stream ids: formatting and reading back a client's Last-Event-ID."""

from __future__ import annotations

import pytest

from slidestream.streaming.positions import (
    START,
    InvalidLastEventId,
    StreamPosition,
    frame_id,
    parse_last_event_id,
)


@pytest.mark.parametrize(
    ("kind", "run", "offset", "text"),
    [
        ("d", 1, 0, "d1:0"),
        ("d", 3, 17, "d3:17"),
        ("o", 2, None, "o2:end"),
        ("o", 4, START, "o4:start"),
    ],
)
def test_ids_round_trip(kind: str, run: int, offset: int | None, text: str) -> None:
    assert frame_id(kind, run, offset) == text  # type: ignore[arg-type]
    assert parse_last_event_id(text, kind) == StreamPosition(kind, run, offset)  # type: ignore[arg-type]


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_no_id_means_from_the_start(blank: str | None) -> None:
    assert parse_last_event_id(blank, "d") is None


@pytest.mark.parametrize(
    "bad",
    [
        "x",
        "d1",
        "d:1",
        "d1:",
        "d-1:2",
        "d1:-2",
        "d1:2:3",
        "D1:2",
        "d1:end2",
        "d" + "1" * 10 + ":1",
        "d1:" + "9" * 70,
    ],
)
def test_malformed_ids_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidLastEventId):
        parse_last_event_id(bad, "d")


def test_an_id_of_the_other_stream_is_rejected() -> None:
    with pytest.raises(InvalidLastEventId, match="outline"):
        parse_last_event_id("o1:5", "d")
