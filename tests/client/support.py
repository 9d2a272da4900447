"""Small helpers of the client tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from slidestream.client import Complete, Slide, StreamEvent
from tests.support.flows import API, marked_outlines

T = TypeVar("T")
DEADLINE = 60.0


def wait_until(probe: Callable[[], T], accept: Callable[[T], bool], what: str) -> T:
    """Poll `probe` until `accept(result)`, failing with `what` after a generous deadline."""
    give_up = time.monotonic() + DEADLINE
    while True:
        value = probe()
        if accept(value):
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting until {what} (last value: {value!r})")
        time.sleep(0.02)


def deck_status(server_url: str, pid: str) -> str:
    """The deck's status read straight from the server (not through any proxy)."""
    response = httpx.get(f"{server_url}{API}/presentation/{pid}", timeout=30)
    response.raise_for_status()
    return str(response.json()["generation"]["deck_status"])


def outline_texts(n: int) -> list[str]:
    """Outline texts with a marker per slide (see tests.support.flows.marker)."""
    return [item["content"] for item in marked_outlines(n)]


def slide_events(events: list[StreamEvent]) -> list[Slide]:
    return [event for event in events if isinstance(event, Slide)]


def assert_every_slide_once_in_order(events: list[StreamEvent], n: int) -> Complete:
    """Slides 0..n-1 each handed out once, in order, none revised, then one Complete
    whose deck is those very slides."""
    slides = slide_events(events)
    assert [s.index for s in slides] == list(range(n))
    assert not any(s.revised for s in slides)
    assert len({s.slide["id"] for s in slides}) == n
    complete = events[-1]
    assert isinstance(complete, Complete)
    assert sum(isinstance(e, Complete) for e in events) == 1
    final: list[dict[str, Any]] = complete.presentation["slides"]
    assert [s["id"] for s in final] == [s.slide["id"] for s in slides]
    assert [s["id"] for s in complete.deck] == [s.slide["id"] for s in slides]
    return complete
