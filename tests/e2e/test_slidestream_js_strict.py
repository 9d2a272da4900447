"""The browser helper `/web/slidestream.js` recovering from a lost network on a server that
sends no event ids (slidestream with `presenton_strict=True`, as Presenton would).

Without ids the helper closes the native EventSource on the first error (its own reconnect
would be a stream request without a position: on slidestream a new run of a deck that was
cancelled meanwhile, on Presenton a new generation) and re-reads the stored presentation
first: a finished deck ends from storage, a cancelled one ends with its stored reason, and
only a deck still being generated gets its stream reopened (a replay, de-duplicated).

The page is loaded through a cuttable proxy in front of the server, so every request the
browser makes passes it; the tests act on the server directly (cancel, status reads), past
the proxy, while the browser's network is down. Decks are held with simulated-LLM stalls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.test_slidestream_js import (
    WAIT_MS,
    app_server,
    assert_finished_and_closed,
    create_presentation,
    open_helper,
    prepared_deck,
    recorded,
    slide_indices,
    start,
    wait_for_result,
    wait_for_slides,
)
from tests.e2e.test_slidestream_js_network import (
    FAST_BACKOFF,
    HOLDING,
    assert_whole_deck_once,
    connection_events,
    hold_at,
    wait_for_connection_events,
)
from tests.support.cut_proxy import CutProxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser

DEADLINE_S = 60.0


@dataclass
class Strict:
    server: ThreadedServer
    proxy: CutProxy

    def stored(self, pid: str) -> dict[str, Any]:
        """The stored presentation, read past the proxy."""
        response = httpx.get(f"{self.server.url}{API}/presentation/{pid}", timeout=30)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def wait_for_deck(self, pid: str, status: str) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE_S
        while True:
            stored = self.stored(pid)
            if stored["generation"]["deck_status"] == status:
                return stored
            assert time.monotonic() < deadline, f"deck still {stored['generation']}"
            time.sleep(0.05)


@pytest.fixture
def strict(tmp_path: Path, fake_llm: FakeLLMHandle) -> Iterator[Strict]:
    with app_server(tmp_path, fake_llm.api_url, **HOLDING, presenton_strict=True) as server:
        proxy = CutProxy(server.url).start()
        try:
            yield Strict(server, proxy)
        finally:
            proxy.stop()
            fake_llm.clear_faults()


def api_requests(page: Page, pid: str) -> list[str]:
    """For every request of the page about `pid`, in order: "stream" or "stored"."""
    seen: list[str] = []

    def note(request: Any) -> None:
        if pid not in request.url:
            return
        seen.append("stream" if "/stream/" in request.url else "stored")

    page.on("request", note)
    return seen


def settle(page: Page) -> None:
    """A round trip on the page, so that any request it had queued has shown up."""
    page.evaluate("() => fetch('/health').then(r => r.status)")


def break_network(page: Page, strict: Strict) -> None:
    """Block the network and wait until the helper has hung up and failed to re-read."""
    before = len(connection_events(page, "reconnecting"))
    strict.proxy.block()
    # The first "reconnecting" is the hang-up; the next one a stored read that failed.
    wait_for_connection_events(page, "reconnecting", before + 2)


def test_a_deck_cancelled_while_the_network_was_down_ends_with_the_cancel_reason(
    page: Page, strict: Strict, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(strict.proxy.url, 5)
    hold_at(fake_llm, 2)
    open_helper(page, strict.proxy.url)
    requests = api_requests(page, pid)
    start(page, "streamDeck", pid, FAST_BACKOFF)
    wait_for_slides(page, 2)
    break_network(page, strict)
    cancelled = httpx.post(f"{strict.server.url}{API}/presentation/cancel/{pid}", timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    strict.proxy.restore()
    result = wait_for_result(page)
    settle(page)
    stored = strict.stored(pid)

    assert result == {"type": "error", "detail": stored["generation"]["error"], "reason": "server"}
    assert result["detail"] == "Generation was cancelled"
    # Still the cancelled run 1: the helper never asked for the stream again.
    assert stored["generation"]["deck_status"] == "cancelled"
    assert stored["generation"]["deck_run"] == 1
    assert requests.count("stream") == 1
    assert requests[-1] == "stored"
    assert page.evaluate("() => window.sources.length") == 1
    # Every slide once: the streamed ones, then any the cancelled run had stored besides.
    sent = slide_indices(page)
    assert sent[:2] == [0, 1] and len(sent) == len(set(sent))
    assert sorted(sent) == [s["index"] for s in stored["slides"]]
    assert_finished_and_closed(recorded(page), "error")


def test_a_deck_finished_while_the_network_was_down_completes_from_storage(
    page: Page, strict: Strict, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(strict.proxy.url, 6)
    hold_at(fake_llm, 3)
    open_helper(page, strict.proxy.url)
    requests = api_requests(page, pid)
    start(page, "streamDeck", pid, FAST_BACKOFF)
    wait_for_slides(page, 3)
    frames_before = len(recorded(page, "frame"))
    break_network(page, strict)
    fake_llm.clear_faults()
    stored = strict.wait_for_deck(pid, "completed")
    strict.proxy.restore()
    result = wait_for_result(page)
    settle(page)

    assert_whole_deck_once(page, result, 6)
    assert result["presentation"] == stored  # the stored deck, not a stream's frame
    assert len(recorded(page, "frame")) == frames_before
    slides = recorded(page, "slide")
    assert [e["detail"]["slide"]["id"] for e in slides[3:]] == [
        s["id"] for s in stored["slides"][3:]
    ]
    stored_ids = [s["id"] for s in stored["slides"]]
    assert page.evaluate("() => stream.slides.map(s => s.id)") == stored_ids
    # No second stream request: one stream, then stored reads only.
    assert requests.count("stream") == 1
    assert requests[-1] == "stored"
    assert page.evaluate("() => window.sources.length") == 1
    assert strict.stored(pid)["generation"]["deck_run"] == 1


def test_a_deck_still_generating_after_the_network_is_back_is_streamed_again_once(
    page: Page, strict: Strict, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(strict.proxy.url, 6)
    hold_at(fake_llm, 3)
    open_helper(page, strict.proxy.url)
    requests = api_requests(page, pid)
    start(page, "streamDeck", pid, FAST_BACKOFF)
    wait_for_slides(page, 3)
    break_network(page, strict)
    strict.proxy.restore()
    # Still held at slide 3: the stored read says "generating", so the stream is reopened
    # and replays from its start (slide 0's chunk a second time) before the fault clears.
    wait_for_connection_events(page, "open", 2)
    page.wait_for_function(
        """() => window.events.filter(e => e.type === "frame"
             && e.detail.frame.type === "chunk"
             && e.detail.frame.chunk.includes('"index":0,')).length >= 2""",
        timeout=WAIT_MS,
    )
    assert strict.stored(pid)["generation"]["deck_status"] == "generating"
    fake_llm.clear_faults()
    result = wait_for_result(page)
    settle(page)

    assert_whole_deck_once(page, result, 6)
    assert all(e["lastEventId"] == "" for e in recorded(page))
    # The helper reopened the stream itself (a second EventSource), after a stored read.
    assert page.evaluate("() => window.sources.length") == 2
    assert requests.count("stream") == 2
    second = requests.index("stream", 1)
    assert requests[second - 1] == "stored"
    assert page.evaluate("() => ss.parsePartialJSON(stream.text).slides.length") == 6
    assert strict.stored(pid)["generation"]["deck_run"] == 1


def test_an_outline_cancelled_while_the_network_was_down_ends_with_the_cancel_reason(
    page: Page, strict: Strict, fake_llm: FakeLLMHandle
) -> None:
    pid = create_presentation(strict.proxy.url, 3)
    # Every outline call stalls: the stream sends its status frame (no id) and waits.
    fake_llm.add_faults({"kind": "stall", "times": 100_000, "match": "Solar energy in 2025"})
    open_helper(page, strict.proxy.url)
    requests = api_requests(page, pid)
    start(page, "streamOutline", pid, FAST_BACKOFF)
    page.wait_for_function("() => window.events.some(e => e.type === 'status')", timeout=WAIT_MS)
    break_network(page, strict)
    cancelled = httpx.post(f"{strict.server.url}{API}/presentation/cancel/{pid}", timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    strict.proxy.restore()
    result = wait_for_result(page)
    settle(page)
    generation = strict.stored(pid)["generation"]

    assert result == {"type": "error", "detail": generation["error"], "reason": "server"}
    assert generation["outline_status"] == "cancelled"
    assert generation["outline_run"] == 1
    assert requests.count("stream") == 1
    assert_finished_and_closed(recorded(page), "error")


def test_the_stored_read_can_be_turned_off(
    page: Page, strict: Strict, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(strict.proxy.url, 4)
    hold_at(fake_llm, 2)
    open_helper(page, strict.proxy.url)
    requests = api_requests(page, pid)
    start(page, "streamDeck", pid, '{"initialBackoffMs": 100, "presentationUrl": false}')
    wait_for_slides(page, 2)
    strict.proxy.cut()
    wait_for_connection_events(page, "open", 2)
    fake_llm.clear_faults()
    result = wait_for_result(page)
    settle(page)

    assert_whole_deck_once(page, result, 4)
    assert requests == ["stream", "stream"]
    assert page.evaluate("() => window.sources.length") == 2
    reconnect = connection_events(page, "reconnecting")
    assert len(reconnect) == 1 and 50 <= reconnect[0]["delay"] <= 100
