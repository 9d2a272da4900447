"""Strict Presenton mode over a real loopback server: Presenton's wire byte for byte (no ids,
no retry, no heartbeats, no commas between slides, Last-Event-ID ignored), slidestream's
generation underneath (durable, attach, replay)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from slidestream.settings import Settings
from slidestream.streaming.channels import presentation_topic
from slidestream.streaming.readers import DeckStreamReader
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, create, deck_url, marker, outline_url, prepared
from tests.support.sse import Frame, read_all, read_until, slide_frames
from tests.support.waiting import wait_for

OPENING = '{ "slides": [ '
CLOSING = " ] }"
PRESENTON_HEADERS = {"content-type", "transfer-encoding", "date", "server"}


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeLLMHandle) -> Settings:
    # A short LLM timeout releases a stalled call (it is retried), so a test can hold a
    # deck mid-way and then let it finish without cancelling it.
    return make_settings(
        tmp_path / "data",
        fake_llm.api_url,
        presenton_strict=True,
        llm_timeout_seconds=2,
        heartbeat_seconds=0.1,
    )


async def _raw_stream(
    http: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> tuple[httpx.Headers, str]:
    async with http.stream("GET", url, headers=headers or {}) as response:
        assert response.status_code == 200, await response.aread()
        body = b"".join([part async for part in response.aiter_bytes()])
    return response.headers, body.decode()


def _presenton_bytes(raw: str) -> list[dict[str, Any]]:
    """The envelopes of a stream, asserting that the stream is exactly Presenton's framing:
    `event: response` LF `data: <json.dumps>` LF LF per frame, and nothing else."""
    blocks = raw.split("\n\n")
    assert blocks[-1] == "", "the stream ends after a complete frame"
    envelopes = []
    for block in blocks[:-1]:
        event, data = block.split("\n")
        assert event == "event: response"
        assert data.startswith("data: ")
        envelopes.append(json.loads(data[len("data: ") :]))
    assert raw == "".join(f"event: response\ndata: {json.dumps(e)}\n\n" for e in envelopes)
    return envelopes


async def test_deck_stream_is_presentons_wire(http: httpx.AsyncClient) -> None:
    pid = await prepared(http, n=4)
    headers, raw = await _raw_stream(http, deck_url(pid))
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["transfer-encoding"] == "chunked"
    assert set(headers) == PRESENTON_HEADERS
    assert "id:" not in raw and "retry:" not in raw and not raw.startswith(":")
    envelopes = _presenton_bytes(raw)
    chunks = [e["chunk"] for e in envelopes if e["type"] == "chunk"]
    assert chunks[0] == OPENING and chunks[-1] == CLOSING
    slides = [json.loads(text) for text in chunks[1:-1]]
    assert [s["index"] for s in slides] == [0, 1, 2, 3]
    assert all(text.startswith('{"presentation"') for text in chunks[1:-1])
    # Presenton's comma-less document: `{ "slides": [ {…}{…} ] }`, not valid JSON.
    text = "".join(chunks)
    assert text == OPENING + "".join(chunks[1:-1]) + CLOSING
    assert "}{" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert [e["type"] for e in envelopes].count("complete") == 1
    assert envelopes[-1]["type"] == "complete"
    assert [s["id"] for s in envelopes[-1]["presentation"]["slides"]] == [s["id"] for s in slides]


async def test_outline_stream_is_presentons_wire(http: httpx.AsyncClient) -> None:
    pid = (await create(http, n_slides=3))["id"]
    headers, raw = await _raw_stream(http, outline_url(pid))
    assert set(headers) == PRESENTON_HEADERS
    envelopes = _presenton_bytes(raw)
    assert envelopes[0] == {"type": "status", "status": "Generating presentation outlines..."}
    text = "".join(e["chunk"] for e in envelopes if e["type"] == "chunk")
    assert len(json.loads(text)["slides"]) == 3
    assert envelopes[-1]["type"] == "complete"
    assert len(envelopes[-1]["presentation"]["outlines"]["slides"]) == 3


@pytest.mark.parametrize("last_event_id", ["d1:end", "d1:1", "garbage", "o1:0"])
async def test_last_event_id_is_ignored_and_a_finished_deck_replays(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle, last_event_id: str
) -> None:
    pid = await prepared(http, n=3)
    _, first = await _raw_stream(http, deck_url(pid))
    requests = fake_llm.stats()["requests"]
    # Neither a 204 (terminal id), nor a 400 (foreign id), nor a partial stream or a
    # reset: the whole deck again, byte for byte, with no LLM call.
    _, by_header = await _raw_stream(http, deck_url(pid), {"Last-Event-ID": last_event_id})
    _, by_query = await _raw_stream(http, f"{deck_url(pid)}?last_event_id={last_event_id}")
    assert by_header == first and by_query == first
    assert '"reset"' not in by_header
    assert fake_llm.stats()["requests"] == requests


async def test_outline_last_event_id_is_ignored(http: httpx.AsyncClient) -> None:
    pid = (await create(http, n_slides=2))["id"]
    _, first = await _raw_stream(http, outline_url(pid))
    _, again = await _raw_stream(http, outline_url(pid), {"Last-Event-ID": "o1:end"})
    # A replay sends the stored text in one chunk where the live stream sent many.
    live, replay = _presenton_bytes(first), _presenton_bytes(again)
    assert replay[0] == live[0] and replay[-1] == live[-1]
    assert [e["type"] for e in replay] == ["status", "chunk", "complete"]
    assert replay[1]["chunk"] == "".join(e["chunk"] for e in live if e["type"] == "chunk")


async def test_a_reconnect_mid_deck_replays_from_the_start_of_one_generation(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=6)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(3)})
    first = await read_until(http, deck_url(pid), lambda got: len(slide_frames(got)) == 3)
    assert [s["index"] for s in slide_frames(first)] == [0, 1, 2]
    assert all(frame.id == "" for frame in first)
    # The job outlives the closed stream; the reconnect (with an id a browser would
    # send) attaches to it and starts over, as a Presenton client expects.
    again = await read_all(http, deck_url(pid), last_event_id="d1:3")
    assert [f.type for f in again].count("reset") == 0
    chunks = [f.data["chunk"] for f in again if f.type == "chunk"]
    assert chunks[0] == OPENING and chunks[-1] == CLOSING
    assert [json.loads(c)["index"] for c in chunks[1:-1]] == list(range(6))
    assert again[-1].type == "complete"
    assert len(again[-1].data["presentation"]["slides"]) == 6
    for index in (0, 1, 2, 4, 5):
        assert len(fake_llm.calls_mentioning(marker(index))) == 1


async def test_no_heartbeats_while_a_stream_waits(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=2)
    fake_llm.add_faults({"kind": "stall", "times": 1000, "match": marker(0)})
    received: list[bytes] = []

    async def read() -> None:
        async with http.stream("GET", deck_url(pid)) as response:
            async for part in response.aiter_bytes():
                received.append(part)

    reader = asyncio.create_task(read())
    # The first call for slide 0 stalls until the LLM timeout (2 s) drops it, and the
    # retry stalls again: by then twenty heartbeat intervals (0.1 s) have passed with
    # nothing to send, and a non-strict stream would have sent `: ping` comments.
    await wait_for(
        lambda: len(fake_llm.calls_mentioning(marker(0))) >= 2 and fake_llm.waiting_on(marker(0)),
        bool,
        "the first slide's call timed out and its retry is stalled",
    )
    cancelled = await http.post(f"{API}/presentation/cancel/{pid}")
    assert cancelled.status_code == 200, cancelled.text
    await reader
    raw = b"".join(received).decode()
    envelopes = _presenton_bytes(raw)
    # Opening, whatever slides were stored (sent once the deck ended), closing, error.
    assert {e["type"] for e in envelopes[:-1]} == {"chunk"}
    assert envelopes[-2] == {"type": "chunk", "chunk": CLOSING}
    assert envelopes[-1]["detail"] == "Generation was cancelled"


async def test_regeneration_mid_stream_ends_it_with_an_error_not_a_reset(
    http: httpx.AsyncClient, fake_llm: FakeLLMHandle
) -> None:
    pid = await prepared(http, n=3)
    fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(1)})
    received: list[Frame] = []

    async def read() -> None:
        received.extend(await read_all(http, deck_url(pid)))

    reader = asyncio.create_task(read())
    await wait_for(
        lambda: fake_llm.waiting_on(marker(1)), bool, "the second slide's call is stalled"
    )
    response = await http.post(f"{API}/presentation/regenerate/{pid}")
    assert response.status_code == 202
    await reader
    types = [f.type for f in received]
    assert "reset" not in types
    assert types[-1] == "error" and types.count("error") == 1
    assert received[-1].data["detail"] == "The deck was generated again"
    # What arrived still closes Presenton's document.
    assert received[-2].data == {"type": "chunk", "chunk": CLOSING}


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "default"])
async def test_a_deck_deleted_mid_stream_still_closes_the_document(
    strict: bool, client: httpx.AsyncClient, app: Any
) -> None:
    # Driven step by step on the real repository and channel, so the reader meets the
    # deletion right after the opening chunk, with no terminal status in between.
    runtime = app.state.runtime
    pid = uuid.UUID((await create(client))["id"])
    await runtime.repository.update_presentation(pid, {"deck_status": "generating", "deck_run": 1})
    reader = DeckStreamReader(
        runtime.repository, runtime.channel, pid, None, 60.0, resets=not strict, commas=not strict
    )
    frames = reader.frames()
    opening = await anext(frames)
    assert opening.data == {"type": "chunk", "chunk": OPENING}
    assert await runtime.repository.delete_presentation(pid)
    await runtime.channel.publish(presentation_topic(pid))
    rest = [frame.data async for frame in frames]
    assert rest == [
        {"type": "chunk", "chunk": CLOSING},
        {"type": "error", "detail": "The presentation was deleted"},
    ]
    assert json.loads(OPENING + CLOSING) == {"slides": []}
