"""The seed's flow through the gateway, against a slidestream upstream on loopback: the
relayed streams are the upstream's frames, the JSON routes are the upstream's answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from slidestream.gateway import GatewaySettings, MemoryOwnershipStore, create_gateway_router
from tests.gateway.conftest import HEADER_HOOKS, RunningGateway, RunningUpstream
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
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, deck_url, marker, outline_url
from tests.support.servers import ThreadedServer
from tests.support.sse import Frame, chunks_text, read_all, read_until, slide_frames


def _frames(raw: str) -> list[str]:
    """Every block but the comment-only ones (the gateway's opening and heartbeats)."""
    return [block for block in blocks(raw) if not is_comment(block)]


def _parsed(frames: list[Frame]) -> list[tuple[str, str, dict[str, object]]]:
    return [(f.id, f.event, f.data) for f in frames]


async def test_three_steps_through_a_mounted_router_relay_the_upstream_frames(
    tmp_path: object, upstream: RunningUpstream
) -> None:
    # The host's own backend: one call mounts the gateway under its API prefix.
    host = FastAPI()
    settings = GatewaySettings(upstream_url=upstream.url, heartbeat_seconds=0.05)
    host.include_router(
        create_gateway_router(settings, HEADER_HOOKS, store=MemoryOwnershipStore()),
        prefix="/api",
    )
    with_host = ThreadedServer(host).start()
    try:
        async with (
            caller_client(f"{with_host.url}/api", "alice") as gateway,
            httpx.AsyncClient(base_url=upstream.url, timeout=30) as direct,
        ):
            pid = await prepared(gateway, n=6)
            # Both read the same generation at once: the gateway's copy must be the
            # upstream's, frame for frame, byte for byte.
            (relayed, relayed_raw), (_, straight_raw) = await asyncio.gather(
                raw_stream(gateway, deck_stream(pid)), raw_stream(direct, deck_url(pid))
            )
    finally:
        with_host.stop()
    assert relayed.status_code == 200
    assert relayed.headers["content-type"].startswith("text/event-stream")
    assert relayed.headers["cache-control"] == "no-cache"
    assert relayed.headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in relayed.headers
    assert relayed_raw.startswith(": ")
    assert _frames(relayed_raw) == _frames(straight_raw)
    events = [b for b in _frames(relayed_raw) if "event: response" in b]
    assert len(events) == 1 + 6 + 1 + 1  # opening chunk, slides, closing chunk, complete
    assert '"type": "complete"' in events[-1]


@pytest.mark.parametrize("direct_streams", [True, False], ids=["direct", "httpx"])
async def test_parsed_frames_are_identical_to_the_direct_stream(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream, direct_streams: bool
) -> None:
    gateway = start_gateway(upstream.url, direct_streams=direct_streams)
    async with (
        caller_client(gateway.url, "alice") as through,
        httpx.AsyncClient(base_url=upstream.url, timeout=30) as direct,
    ):
        pid = await prepared(through, n=5)
        relayed, straight = await asyncio.gather(
            read_all(through, deck_stream(pid)), read_all(direct, deck_url(pid))
        )
    assert _parsed(relayed) == _parsed(straight)
    assert [s["index"] for s in slide_frames(relayed)] == list(range(5))
    assert all(frame.id for frame in relayed)


async def test_outline_stream_is_relayed(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with (
        caller_client(gateway.url, "alice") as through,
        httpx.AsyncClient(base_url=upstream.url, timeout=30) as direct,
    ):
        pid = await create(through, n_slides=3)
        live = await read_all(through, outline_stream(pid))
        # Outline chunks are cut by when each reader reads, so compare replays, which
        # are cut the same way for everyone.
        relayed, straight = await asyncio.gather(
            read_all(through, outline_stream(pid)), read_all(direct, outline_url(pid))
        )
    assert _parsed(relayed) == _parsed(straight)
    assert live[0].type == "status" and live[-1].type == "complete"
    assert chunks_text(live) == chunks_text(straight)
    assert len(live[-1].data["presentation"]["outlines"]["slides"]) == 3


async def test_resume_goes_upstream_by_header_and_by_query(
    gateway: RunningGateway, upstream: RunningUpstream, fake_llm: FakeLLMHandle
) -> None:
    async with caller_client(gateway.url, "alice") as through:
        pid = await prepared(through, n=6)
        first = await read_until(through, deck_stream(pid), lambda got: len(slide_frames(got)) == 2)
        by_header = await read_until(
            through,
            deck_stream(pid),
            lambda got: len(slide_frames(got)) == 2,
            last_event_id=first[-1].id,
        )
        by_query = await read_all(through, f"{deck_stream(pid)}?last_event_id={by_header[-1].id}")
        after_end = await through.get(deck_stream(pid), headers={"Last-Event-ID": by_query[-1].id})
    indices = [s["index"] for s in slide_frames(first + by_header + by_query)]
    assert indices == list(range(6))
    assert by_query[-1].type == "complete"
    assert after_end.status_code == 204
    sent_ids = [r.headers.get("last-event-id") for r in upstream.log.streams()]
    assert sent_ids[:3] == [None, first[-1].id, by_header[-1].id]
    for index in range(6):
        assert len(fake_llm.calls_mentioning(marker(index))) == 1


async def test_json_routes_answer_as_the_upstream_does(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with (
        caller_client(gateway.url, "alice") as through,
        httpx.AsyncClient(base_url=upstream.url, timeout=30) as direct,
    ):
        pid = await prepared(through, n=3)
        await read_all(through, deck_stream(pid))
        relayed = await through.get(f"/presentations/{pid}")
        straight = await direct.get(f"{API}/presentation/{pid}")
        assert relayed.status_code == 200
        assert relayed.json() == straight.json()
        # Upstream 4xx keep their status and detail.
        empty = await through.post(f"/presentations/{pid}/prepare", json={"outlines": []})
        direct_empty = await direct.post(
            f"{API}/presentation/prepare", json={"presentation_id": pid, "outlines": []}
        )
        assert empty.status_code == direct_empty.status_code == 400
        assert empty.json() == direct_empty.json()
        other = await create(through, n_slides=2)
        not_ready = await through.get(deck_stream(other))
        assert not_ready.status_code == 400
        assert not_ready.json() == {"detail": "Presentation not prepared for stream"}
        invalid = await through.post("/presentations/create", json={"content": "x", "n_slides": 0})
        direct_invalid = await direct.post(
            f"{API}/presentation/create", json={"content": "x", "n_slides": 0}
        )
        assert invalid.status_code == direct_invalid.status_code
        assert invalid.json() == direct_invalid.json()


async def test_sync_generate_waits_and_the_deck_downloads(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with caller_client(gateway.url, "alice") as through:
        body = {"content": "Tidal power", "slides_markdown": ["# One", "# Two", "# Three"]}
        response = await through.post("/presentations/generate", json=body, timeout=120)
        assert response.status_code == 200, response.text
        result = response.json()
        assert set(result) == {"presentation_id", "path", "edit_path"}
        assert result["path"].endswith(".pptx")
        pid = result["presentation_id"]
        deck = await through.get(f"/presentations/{pid}")
        assert deck.status_code == 200 and len(deck.json()["slides"]) == 3
        pptx = await through.get(f"/presentations/{pid}/export", params={"format": "pptx"})
        pdf = await through.get(f"/presentations/{pid}/export", params={"format": "pdf"})
    assert pptx.status_code == 200 and pptx.content.startswith(b"PK")
    assert "presentationml" in pptx.headers["content-type"]
    assert "attachment" in pptx.headers["content-disposition"]
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_async_generate_and_status_polling(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with caller_client(gateway.url, "alice") as through:
        body = {"content": "Wind farms", "slides_markdown": ["# A", "# B"], "export_as": "pdf"}
        started = await through.post("/presentations/generate/async", json=body)
        assert started.status_code == 200, started.text
        task = started.json()
        assert task["status"] == "pending" and task["id"]
        while task["status"] == "pending":
            await asyncio.sleep(0.05)
            polled = await through.get(f"/presentations/status/{task['id']}")
            assert polled.status_code == 200
            task = polled.json()
        assert task["status"] == "completed", task
        assert task["data"]["path"].endswith(".pdf")
        deck = await through.get(f"/presentations/{task['data']['presentation_id']}")
        assert deck.status_code == 200


async def test_hooks_set_the_upstream_key_and_rewrite_requests(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream
) -> None:
    from dataclasses import replace

    from slidestream.gateway import Caller, GatewayHooks, UpstreamRequest

    async def house_style(caller: Caller, call: UpstreamRequest) -> UpstreamRequest:
        if call.route == "create" and call.json is not None:
            return replace(call, json={**call.json, "instructions": f"Written for {caller.id}"})
        return call

    hooks = GatewayHooks(
        authenticate=HEADER_HOOKS.authenticate,
        upstream_key=HEADER_HOOKS.upstream_key,
        rewrite=house_style,
    )
    running = start_gateway(upstream.url, hooks=hooks)
    async with caller_client(running.url, "carol") as through:
        pid = await create(through, n_slides=2)
    created = next(r for r in upstream.log.api_requests() if r.path.endswith("/create"))
    assert created.headers["authorization"] == "Bearer upstream-key-carol"
    assert json.loads(created.text)["instructions"] == "Written for carol"
    assert pid
