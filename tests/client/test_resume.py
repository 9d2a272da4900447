"""Resume over a real network cut (a cuttable loopback proxy): with ids, without them
(strict Presenton mode), after a `reset`, after the deck finished while away, and when
reconnecting keeps failing. A stalled slide holds the deck mid-way, so the cut always
falls before the end; a short LLM timeout then releases it."""

from __future__ import annotations

import httpx
import pytest

from slidestream.client import (
    AsyncClient,
    Client,
    Complete,
    Slide,
    StreamError,
    StreamEvent,
    StreamInterrupted,
)
from tests.client.conftest import FAST_RETRY, ClientFactory, RequestLog
from tests.client.support import (
    assert_every_slide_once_in_order,
    deck_status,
    outline_texts,
    slide_events,
    wait_until,
)
from tests.support.cut_proxy import CutProxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marker
from tests.support.servers import ThreadedServer


def _prepared(client: Client, n: int) -> str:
    pid = str(client.create("", n_slides=n)["id"])
    client.prepare(pid, outlines=outline_texts(n))
    return pid


def _read_cutting_after(
    client: Client, pid: str, proxy: CutProxy, index: int
) -> tuple[list[StreamEvent], int]:
    """The stream's events, the network cut once right after slide `index`; and how many
    connections the proxy had accepted at the cut."""
    events: list[StreamEvent] = []
    at_cut = 0
    for event in client.stream_deck(pid):
        events.append(event)
        if isinstance(event, Slide) and event.index == index and not at_cut:
            at_cut = proxy.connections
            proxy.cut()
    return events, at_cut


def test_a_cut_mid_deck_resumes_with_every_slide_once(
    proxy: CutProxy, fake_llm: FakeLLMHandle, make_client: ClientFactory
) -> None:
    resumed_from: list[str | None] = []

    def record(request: httpx.Request) -> None:
        if "/stream/" in request.url.path:
            resumed_from.append(request.headers.get("last-event-id"))

    http = httpx.Client(event_hooks={"request": [record]})
    client = make_client(proxy.url, http_client=http)
    try:
        pid = _prepared(client, 6)
        fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(3)})
        events, at_cut = _read_cutting_after(client, pid, proxy, index=2)
    finally:
        http.close()
    assert_every_slide_once_in_order(events, 6)
    assert proxy.connections > at_cut  # it really reconnected ...
    assert resumed_from == [None, "d1:3"]  # ... right after the last slide it handed out
    for index in range(6):  # and resuming made no slide twice
        assert len(fake_llm.calls_mentioning(marker(index))) == (2 if index == 3 else 1)


def test_a_cut_without_ids_replays_and_skips_what_was_handed_out(
    strict_proxy: CutProxy, fake_llm: FakeLLMHandle, make_client: ClientFactory
) -> None:
    client = make_client(strict_proxy.url)
    pid = _prepared(client, 6)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(3)})
    events, at_cut = _read_cutting_after(client, pid, strict_proxy, index=2)
    complete = assert_every_slide_once_in_order(events, 6)
    assert strict_proxy.connections > at_cut
    assert len(complete.presentation["slides"]) == 6


def test_without_ids_a_deck_finished_while_away_completes_from_the_stored_deck(
    strict_server: ThreadedServer,
    strict_proxy: CutProxy,
    fake_llm: FakeLLMHandle,
    make_client: ClientFactory,
) -> None:
    log = RequestLog()
    http = httpx.Client(event_hooks={"request": [log]})
    client = make_client(strict_proxy.url, http_client=http)
    try:
        pid = _prepared(client, 5)
        fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
        events: list[StreamEvent] = []
        for event in client.stream_deck(pid):
            events.append(event)
            if isinstance(event, Slide) and event.index == 1:
                strict_proxy.block()  # the network goes down mid-deck ...
                wait_until(
                    lambda: deck_status(strict_server.url, pid),
                    lambda status: status == "completed",
                    "the deck completes with nobody connected",
                )
                strict_proxy.restore()  # ... and comes back after the deck is done
                log.lines.clear()
    finally:
        http.close()
    assert_every_slide_once_in_order(events, 5)
    # The stored deck said it was complete: the rest came from it, not from a replay.
    assert log.lines == [f"GET {API}/presentation/{pid}"]


def test_a_reset_after_regeneration_hands_out_the_new_slides_as_revisions(
    server: ThreadedServer, proxy: CutProxy, fake_llm: FakeLLMHandle, make_client: ClientFactory
) -> None:
    client = make_client(proxy.url)
    pid = _prepared(client, 4)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
    events: list[StreamEvent] = []
    for event in client.stream_deck(pid):
        events.append(event)
        if isinstance(event, Slide) and event.index == 1 and not event.revised:
            proxy.block()
            response = httpx.post(f"{server.url}{API}/presentation/regenerate/{pid}", timeout=30)
            assert response.status_code == 202, response.text
            proxy.restore()
    slides = slide_events(events)
    assert [(s.index, s.revised) for s in slides] == [
        (0, False),
        (1, False),
        (0, True),
        (1, True),
        (2, False),
        (3, False),
    ]
    first, second = slides[0:2], slides[2:4]
    assert all(a.slide["id"] != b.slide["id"] for a, b in zip(first, second, strict=True))
    complete = events[-1]
    assert isinstance(complete, Complete)
    assert [s["id"] for s in complete.deck] == [s.slide["id"] for s in slides[2:]]


def test_a_stream_that_already_ended_completes_from_the_stored_deck(client: Client) -> None:
    pid = _prepared(client, 3)
    first = list(client.stream_deck(pid))
    # A later process resumes with the terminal id it stored: the server answers 204.
    events = list(client.stream_deck(pid, last_event_id="d1:end"))
    assert [type(e) for e in events] == [Complete]
    complete = events[0]
    assert isinstance(complete, Complete) and isinstance(first[-1], Complete)
    assert complete.deck == first[-1].deck


def test_another_process_continues_from_the_id_the_first_one_stored(
    make_client: ClientFactory, server: ThreadedServer
) -> None:
    first, second = make_client(server.url), make_client(server.url)
    pid = _prepared(first, 5)
    handed: list[Slide] = []
    with first.stream_deck(pid) as stream:
        for event in stream:
            assert isinstance(event, Slide)
            handed.append(event)
            if event.index == 1:
                break
        stored_id = stream.last_event_id  # what a process keeps to continue later
    assert stored_id == "d1:2"
    events = list(second.stream_deck(pid, last_event_id=stored_id))
    # Only what came after the id, each once; the slides before it were the first's.
    assert [(s.index, s.revised) for s in slide_events(events)] == [
        (2, False),
        (3, False),
        (4, False),
    ]
    complete = events[-1]
    assert isinstance(complete, Complete) and sum(isinstance(e, Complete) for e in events) == 1
    final = complete.presentation["slides"]
    assert [s["id"] for s in complete.deck] == [s["id"] for s in final]
    assert [s.slide["id"] for s in handed + slide_events(events)] == [s["id"] for s in final]


def test_a_stream_that_already_ended_on_an_error_ends_on_it_again(
    client: Client, fake_llm: FakeLLMHandle
) -> None:
    pid = _prepared(client, 3)
    fake_llm.add_faults({"kind": "500", "times": 1000, "match": marker(1)})
    with client.stream_deck(pid) as stream:
        first = list(stream)
        terminal_id = stream.last_event_id
    failed = first[-1]
    assert isinstance(failed, StreamError) and terminal_id == "d1:end"
    events = list(client.stream_deck(pid, last_event_id=terminal_id))  # a 204
    assert [type(e) for e in events] == [StreamError]
    ended = events[0]
    assert isinstance(ended, StreamError) and ended.detail == failed.detail
    assert [s["id"] for s in ended.deck] == [s["id"] for s in failed.deck]


def test_without_ids_a_deck_cancelled_while_away_stays_cancelled(
    strict_server: ThreadedServer,
    strict_proxy: CutProxy,
    fake_llm: FakeLLMHandle,
    make_client: ClientFactory,
) -> None:
    client = make_client(strict_proxy.url)
    pid = _prepared(client, 5)
    fake_llm.add_faults({"kind": "stall", "times": 1000, "match": marker(2)})  # until cancelled
    events: list[StreamEvent] = []
    for event in client.stream_deck(pid):
        events.append(event)
        if isinstance(event, Slide) and event.index == 1:
            strict_proxy.block()  # the network goes down mid-deck, the deck is cancelled
            cancelled = httpx.post(f"{strict_server.url}{API}/presentation/cancel/{pid}")
            assert cancelled.status_code == 200, cancelled.text
            strict_proxy.restore()
    end = events[-1]
    assert isinstance(end, StreamError) and end.detail == "Generation was cancelled"
    # The reconnect did not ask for the stream again: that would have started a new run.
    stored = httpx.get(f"{strict_server.url}{API}/presentation/{pid}").json()
    assert (stored["generation"]["deck_status"], stored["generation"]["deck_run"]) == (
        "cancelled",
        1,
    )
    # The slides the deck kept (those generated alongside the stalled one too), each once.
    handed = slide_events(events)
    assert [s.index for s in handed] == [s["index"] for s in stored["slides"]]
    assert 2 not in [s.index for s in handed] and not any(s.revised for s in handed)
    assert [s["id"] for s in end.deck] == [s["id"] for s in stored["slides"]]


def test_retries_exhausted_raise_a_clear_error(
    proxy: CutProxy, fake_llm: FakeLLMHandle, make_client: ClientFactory
) -> None:
    client = make_client(proxy.url)
    pid = _prepared(client, 4)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
    handed: list[int] = []
    with pytest.raises(StreamInterrupted) as raised:
        for event in client.stream_deck(pid):
            if isinstance(event, Slide):
                handed.append(event.index)
                if event.index == 1:
                    proxy.block()  # and never restored
    assert handed == [0, 1]
    assert raised.value.attempts == FAST_RETRY.max_retries + 1
    assert pid in str(raised.value) and "times in a row" in str(raised.value)


# --- the same through AsyncClient ---------------------------------------------------------


async def _aprepared(client: AsyncClient, n: int) -> str:
    pid = str((await client.create("", n_slides=n))["id"])
    await client.prepare(pid, outlines=outline_texts(n))
    return pid


async def _aread_cutting_after(
    client: AsyncClient, pid: str, proxy: CutProxy, index: int
) -> tuple[list[StreamEvent], int]:
    events: list[StreamEvent] = []
    at_cut = 0
    async with client.stream_deck(pid) as stream:
        async for event in stream:
            events.append(event)
            if isinstance(event, Slide) and event.index == index and not at_cut:
                at_cut = proxy.connections
                proxy.cut()
    return events, at_cut


@pytest.mark.parametrize("strict", [False, True], ids=["ids", "strict"])
async def test_async_a_cut_mid_deck_resumes_with_every_slide_once(
    strict: bool, request: pytest.FixtureRequest, fake_llm: FakeLLMHandle
) -> None:
    proxy: CutProxy = request.getfixturevalue("strict_proxy" if strict else "proxy")
    async with AsyncClient(proxy.url, retry=FAST_RETRY) as client:
        pid = await _aprepared(client, 5)
        fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
        events, at_cut = await _aread_cutting_after(client, pid, proxy, index=1)
    assert_every_slide_once_in_order(events, 5)
    assert proxy.connections > at_cut


async def test_async_retries_exhausted_raise(proxy: CutProxy, fake_llm: FakeLLMHandle) -> None:
    async with AsyncClient(proxy.url, retry=FAST_RETRY) as client:
        pid = await _aprepared(client, 3)
        fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(1)})
        with pytest.raises(StreamInterrupted) as raised:
            async for event in client.stream_deck(pid):
                if isinstance(event, Slide) and event.index == 0:
                    proxy.block()
    assert raised.value.attempts == FAST_RETRY.max_retries + 1
