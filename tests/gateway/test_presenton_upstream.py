"""The gateway in front of an upstream that speaks Presenton's exact wire (slidestream in
strict mode: no ids, no retry, no heartbeats, no commas between slide chunks)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from slidestream.gateway.relay import LOST
from tests.gateway.conftest import RunningGateway, RunningUpstream
from tests.gateway.support import (
    blocks,
    caller_client,
    create,
    deck_stream,
    is_comment,
    outline_stream,
    prepared,
    raw_stream,
)
from tests.support.cut_proxy import cut_proxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import deck_url, marker
from tests.support.sse import chunks_text, open_stream, read_all, slide_frames


@pytest.fixture
def upstream(start_upstream: Callable[..., RunningUpstream]) -> RunningUpstream:
    # A short LLM timeout lets a stalled slide be retried, so a deck can be held mid-way.
    return start_upstream(presenton_strict=True, llm_timeout_seconds=2)


async def test_every_slide_arrives_once_and_the_final_deck_parses(
    start_gateway: Callable[..., RunningGateway],
    upstream: RunningUpstream,
    fake_llm: FakeLLMHandle,
) -> None:
    running = start_gateway(upstream.url, heartbeat_seconds=0.1)
    async with (
        caller_client(running.url, "alice") as gateway,
        httpx.AsyncClient(base_url=upstream.url, timeout=30) as direct,
    ):
        pid = await prepared(gateway, n=5)
        fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(1)})
        (relayed, raw), (_, straight_raw) = await asyncio.gather(
            raw_stream(gateway, deck_stream(pid)), raw_stream(direct, deck_url(pid))
        )
    assert relayed.status_code == 200
    frames = [b for b in blocks(raw) if not is_comment(b)]
    # Presenton's frames, untouched: no ids, `event: response` and one `data:` line each.
    assert frames == blocks(straight_raw)
    assert all(b.split("\n")[0] == "event: response" for b in frames)
    envelopes = [json.loads(b.split("\n")[1][len("data: ") :]) for b in frames]
    assert [e["type"] for e in envelopes].count("complete") == 1
    assert envelopes[-1]["type"] == "complete"
    chunks = [e["chunk"] for e in envelopes if e["type"] == "chunk"]
    slides = [json.loads(c) for c in chunks if c.startswith('{"presentation"')]
    assert [s["index"] for s in slides] == list(range(5))
    deck = envelopes[-1]["presentation"]
    assert [s["index"] for s in deck["slides"]] == list(range(5))
    assert [s["id"] for s in deck["slides"]] == [s["id"] for s in slides]
    # The upstream never pinged; the pings the client got while slide 1 stalled are the
    # gateway's.
    assert ": ping" in blocks(raw)
    for upstream_stream in upstream.log.streams():
        assert not any(is_comment(b) for b in blocks(upstream_stream.text))


async def test_parsed_frames_match_and_carry_no_ids(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream
) -> None:
    running = start_gateway(upstream.url)
    async with (
        caller_client(running.url, "alice") as gateway,
        httpx.AsyncClient(base_url=upstream.url, timeout=30) as direct,
    ):
        pid = await prepared(gateway, n=4)
        relayed, straight = await asyncio.gather(
            read_all(gateway, deck_stream(pid)), read_all(direct, deck_url(pid))
        )
    assert [(f.id, f.event, f.data) for f in relayed] == [(f.id, f.event, f.data) for f in straight]
    assert all(f.id == "" for f in relayed)
    assert [s["index"] for s in slide_frames(relayed)] == list(range(4))
    # Presenton's chunks are not valid JSON when joined (no commas); the gateway does not
    # change them.
    with pytest.raises(json.JSONDecodeError):
        json.loads(chunks_text(relayed))


async def test_outline_stream_through_the_gateway(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream
) -> None:
    running = start_gateway(upstream.url)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway, n_slides=3)
        frames = await read_all(gateway, outline_stream(pid))
    assert frames[0].type == "status" and frames[-1].type == "complete"
    assert sum(1 for f in frames if f.terminal) == 1
    assert len(json.loads(chunks_text(frames))["slides"]) == 3
    assert len(frames[-1].data["presentation"]["outlines"]["slides"]) == 3


async def test_a_cut_stream_without_ids_is_not_reopened(
    start_gateway: Callable[..., RunningGateway],
    upstream: RunningUpstream,
    fake_llm: FakeLLMHandle,
) -> None:
    # Presenton's frames carry no id: the gateway has no position to reopen the stream
    # from (opening it again would start from the top), so the client gets the error frame.
    with cut_proxy(upstream.url) as proxy:
        running = start_gateway(proxy.url, resume_attempts=3, resume_backoff_seconds=0.01)
        async with caller_client(running.url, "alice") as gateway:
            pid = await prepared(gateway, n=4)
            fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
            frames = []
            async with open_stream(gateway, deck_stream(pid)) as source:
                async for frame in source:
                    frames.append(frame)
                    if len(slide_frames(frames)) == 2 and proxy.open_connections:
                        proxy.cut()
    assert [s["index"] for s in slide_frames(frames)] == [0, 1]
    assert frames[-1].data == {"type": "error", "detail": LOST}
    assert sum(1 for f in frames if f.terminal) == 1
    assert len(upstream.log.streams()) == 1
