"""The browser helper `/web/slidestream.js` when the network between the browser and the
server fails: connections cut mid-deck, a network that stays down (refused connections, or a
reverse proxy answering 502), a new run while the browser was away, and a Presenton-strict
server that sends no ids and replays from the start on every reconnect.

The page is loaded from a cuttable proxy in front of a real server, so the page, the module
and the streams are same-origin and every byte the browser gets passes the proxy. A deck is
held mid-way by stalling the simulated LLM on one slide: the server's short LLM timeout and
practically unlimited attempts keep retrying the stalled slide until the test clears the fault.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.test_slidestream_js import (
    API,
    WAIT_MS,
    app_server,
    assert_finished_and_closed,
    open_helper,
    prepared_deck,
    recorded,
    slide_indices,
    start,
    wait_for_result,
    wait_for_slides,
)
from tests.support.cut_proxy import CutProxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import marker
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser

# A stalled slide call is dropped after 2 s and tried again, as often as it takes.
HOLDING = {"llm_timeout_seconds": 2.0, "llm_max_attempts": 100_000, "sse_retry_ms": 250}
# The helper's own reconnects, short so that the tests do not wait long.
FAST_BACKOFF = json.dumps({"initialBackoffMs": 100, "maxBackoffMs": 400})
BAD_GATEWAY_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class FlakyGateway(CutProxy):
    """The cut proxy, plus what a reverse proxy does while its upstream is unreachable.

    `block(bad_gateway=True)` answers every request with a 502 page (the browser's
    EventSource gives up on that); plain `block()` refuses connections (a network error).
    `turned_away` counts the connections refused either way."""

    def __init__(self, target_url: str) -> None:
        super().__init__(target_url)
        self.bad_gateway = False
        self.turned_away = 0

    def block(self, bad_gateway: bool = False) -> None:
        self.bad_gateway = bad_gateway
        super().block()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._blocked:
            await super()._accept(reader, writer)
            return
        self.turned_away += 1
        if not self.bad_gateway:
            writer.transport.abort()
            return
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            head = (
                "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
                f"Content-Length: {len(BAD_GATEWAY_PAGE)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + BAD_GATEWAY_PAGE)
            await writer.drain()
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        writer.close()


@pytest.fixture
def holding_server(tmp_path: Path, fake_llm: FakeLLMHandle) -> Iterator[ThreadedServer]:
    with app_server(tmp_path, fake_llm.api_url, **HOLDING) as server:
        yield server


@pytest.fixture
def gateway(holding_server: ThreadedServer) -> Iterator[FlakyGateway]:
    proxy = FlakyGateway(holding_server.url).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def hold_at(fake_llm: FakeLLMHandle, index: int) -> None:
    """Every call for slide `index` stalls until `fake_llm.clear_faults()`. Added after
    prepare: the structure call mentions every slide's marker too."""
    fake_llm.add_faults({"kind": "stall", "times": 100_000, "match": marker(index)})


def connection_events(page: Page, state: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in recorded(page, "connection") if e["detail"]["state"] == state]


def wait_for_connection_events(page: Page, state: str, count: int) -> None:
    page.wait_for_function(
        """([state, n]) => window.events.filter(
             e => e.type === "connection" && e.detail.state === state).length >= n""",
        arg=[state, count],
        timeout=WAIT_MS,
    )


def stream_requests(page: Page) -> list[dict[str, str | None]]:
    """Records the URL and Last-Event-ID header of every stream request the page makes."""
    seen: list[dict[str, str | None]] = []

    def note(request: Any) -> None:
        if "/presentation/stream/" in request.url:
            headers = request.all_headers()
            seen.append({"url": request.url, "last_event_id": headers.get("last-event-id")})

    page.on("request", note)
    return seen


def assert_whole_deck_once(page: Page, result: dict[str, Any], n: int) -> None:
    assert result["type"] == "complete"
    assert slide_indices(page) == list(range(n))
    final_ids = [s["id"] for s in result["presentation"]["slides"]]
    assert [e["detail"]["slide"]["id"] for e in recorded(page, "slide")] == final_ids
    assert_finished_and_closed(recorded(page), "complete")


def test_cuts_mid_deck_resume_where_they_stopped_with_every_slide_once(
    page: Page, gateway: FlakyGateway, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(gateway.url, 7)
    hold_at(fake_llm, 3)
    open_helper(page, gateway.url)
    requests = stream_requests(page)
    start(page, "streamDeck", pid)
    wait_for_slides(page, 3)
    cut_at = page.evaluate("() => stream.lastEventId")
    for cuts in (1, 2):
        gateway.cut()
        # The browser reconnects by itself (after the server's `retry:`) and resumes.
        wait_for_connection_events(page, "open", 1 + cuts)
    fake_llm.clear_faults()
    result = wait_for_result(page)

    assert_whole_deck_once(page, result, 7)
    assert len(connection_events(page, "reconnecting")) >= 2
    # Nothing arrived twice: the accumulated text is one valid document.
    assert page.evaluate("() => JSON.parse(stream.text).slides.length") == 7
    # The reconnects were the browser's own, resuming by header from the last frame.
    assert page.evaluate("() => window.sources.length") == 1
    assert len(requests) >= 3
    assert [r["last_event_id"] for r in requests[1:3]] == [cut_at, cut_at]


@pytest.mark.parametrize("bad_gateway", [False, True], ids=["refused", "502"])
def test_a_network_down_for_a_while_is_waited_out_with_backoff(
    page: Page, gateway: FlakyGateway, fake_llm: FakeLLMHandle, bad_gateway: bool
) -> None:
    pid = prepared_deck(gateway.url, 6)
    hold_at(fake_llm, 3)
    open_helper(page, gateway.url)
    start(page, "streamDeck", pid, FAST_BACKOFF)
    wait_for_slides(page, 3)
    resume_id = page.evaluate("() => stream.lastEventId")
    gateway.block(bad_gateway=bad_gateway)
    # Several failed attempts while the network stays down, then it comes back.
    wait_for_connection_events(page, "reconnecting", 4)
    assert gateway.turned_away >= 2
    assert page.evaluate("() => stream.state") == "reconnecting"
    gateway.restore()
    fake_llm.clear_faults()
    result = wait_for_result(page)

    assert_whole_deck_once(page, result, 6)
    assert page.evaluate("() => JSON.parse(stream.text).slides.length") == 6
    retries = connection_events(page, "reconnecting")
    attempts = [r["attempt"] for r in retries]
    assert attempts == list(range(1, len(attempts) + 1))
    if bad_gateway:
        # The browser gives up on a 502; the helper asked the server why (502 again:
        # keep trying) and opened new EventSources with the resume id, backing off.
        asked = [r for r in retries if "status" in r]
        assert asked and all(r["status"] == 502 and r["detail"] == "HTTP 502" for r in asked)
        assert all(0 < r["delay"] <= 400 for r in asked)
        urls = page.evaluate("() => window.sources.map(s => s.url)")
        assert len(urls) >= 3
        resumed = [parse_qs(urlsplit(url).query) for url in urls[1:]]
        assert all(query == {"last_event_id": [resume_id]} for query in resumed)


def test_a_new_run_while_the_browser_was_away_resets_and_hands_out_slides_again(
    page: Page, holding_server: ThreadedServer, gateway: FlakyGateway, fake_llm: FakeLLMHandle
) -> None:
    pid = prepared_deck(gateway.url, 4)
    hold_at(fake_llm, 2)
    open_helper(page, gateway.url)
    start(page, "streamDeck", pid, FAST_BACKOFF)
    wait_for_slides(page, 2)
    first_run = [e["detail"]["slide"]["id"] for e in recorded(page, "slide")]
    gateway.block()
    wait_for_connection_events(page, "reconnecting", 1)
    fake_llm.clear_faults()
    regenerated = httpx.post(f"{holding_server.url}{API}/presentation/regenerate/{pid}")
    assert regenerated.status_code == 202
    gateway.restore()
    result = wait_for_result(page)

    events = [e for e in recorded(page) if e["type"] in ("slide", "reset", "complete")]
    assert [(e["type"], e["detail"].get("index")) for e in events] == [
        ("slide", 0),
        ("slide", 1),
        ("reset", None),
        ("slide", 0),
        ("slide", 1),
        ("slide", 2),
        ("slide", 3),
        ("complete", None),
    ]
    assert events[2]["detail"]["detail"] == "The deck was generated again"
    second_run = [e["detail"]["slide"]["id"] for e in events[3:7]]
    assert set(second_run).isdisjoint(first_run)
    assert [s["id"] for s in result["presentation"]["slides"]] == second_run
    # The text holds the new run only: one opening, four slides.
    assert page.evaluate("() => JSON.parse(stream.text).slides.map(s => s.index)") == [0, 1, 2, 3]
    assert page.evaluate("() => stream.slides.map(s => s.id)") == second_run


def test_a_strict_presenton_server_replays_after_a_cut_without_duplicate_slides(
    page: Page, tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    settings = {**HOLDING, "presenton_strict": True}
    with app_server(tmp_path, fake_llm.api_url, **settings) as server:
        proxy = CutProxy(server.url).start()
        try:
            pid = prepared_deck(proxy.url, 6)
            hold_at(fake_llm, 3)
            open_helper(page, proxy.url)
            start(page, "streamDeck", pid)
            wait_for_slides(page, 3)
            proxy.cut()
            # No ids: the browser reconnects without Last-Event-ID and the server sends
            # the deck from its start again. Wait until slide 0 has come a second time.
            page.wait_for_function(
                """() => window.events.filter(e => e.type === "frame"
                     && e.detail.frame.type === "chunk"
                     && e.detail.frame.chunk.includes('"index":0,')).length >= 2""",
                timeout=WAIT_MS,
            )
            fake_llm.clear_faults()
            result = wait_for_result(page)
            text_slides = page.evaluate("() => ss.parsePartialJSON(stream.text).slides.length")
        finally:
            proxy.stop()

    assert_whole_deck_once(page, result, 6)
    assert all(e["lastEventId"] == "" for e in recorded(page))
    assert "}{" in page.evaluate("() => stream.text").replace(" ", "")  # Presenton's text
    # The text was started over on the replay, not appended to: six slides, not nine.
    assert text_slides == 6
    assert len(connection_events(page, "open")) == 2
