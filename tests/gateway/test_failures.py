"""Upstream failures through the gateway: each ends in a well-formed answer (a JSON error
before the stream, one `error` frame after it) and never in a hung connection."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from slidestream.gateway import MemoryOwnershipStore, Resource
from slidestream.gateway.relay import ENDED_EARLY, LOST
from slidestream.gateway.upstream import TIMED_OUT, UNREACHABLE
from tests.gateway.conftest import RunningGateway, RunningUpstream
from tests.gateway.support import (
    Script,
    blocks,
    caller_client,
    create,
    deck_stream,
    prepared,
    scripted_upstream,
)
from tests.support.cut_proxy import CutProxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import marker
from tests.support.servers import ThreadedServer, free_port
from tests.support.sse import open_stream, read_all, slide_frames

PID = "6f1d7a2e-3b9c-4d5e-8f70-1a2b3c4d5e6f"


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def scripted(script: Script) -> Iterator[ThreadedServer]:
    server = ThreadedServer(scripted_upstream(script)).start()
    try:
        yield server
    finally:
        script.release.set()
        server.stop()


async def test_an_unreachable_upstream_is_a_502_on_every_route(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    store = MemoryOwnershipStore()
    await store.record(Resource("presentation", PID), "alice")
    await store.record(Resource("task", "task-1"), "alice")
    running = start_gateway(f"http://127.0.0.1:{free_port()}", store=store)
    async with caller_client(running.url, "alice") as gateway:
        answers = [
            await gateway.post("/presentations/create", json={"content": "x"}),
            await gateway.post(f"/presentations/{PID}/prepare", json={"outlines": []}),
            await gateway.get(f"/presentations/{PID}/outline/stream"),
            await gateway.get(deck_stream(PID)),
            await gateway.post("/presentations/generate", json={"content": "x"}),
            await gateway.post("/presentations/generate/async", json={"content": "x"}),
            await gateway.get("/presentations/status/task-1"),
            await gateway.get(f"/presentations/{PID}"),
            await gateway.get(f"/presentations/{PID}/export"),
        ]
    for answer in answers:
        assert answer.status_code == 502, answer.request.url
        assert answer.json() == {"detail": UNREACHABLE}


@pytest.mark.parametrize(
    ("mode", "status", "detail"),
    [
        ("500_json", 502, "The presentation server failed (500): The database is on fire"),
        ("500_text", 502, "The presentation server failed (500): Internal Server Error"),
        ("503", 503, "The presentation server failed (503): No LLM is configured"),
        ("not_sse", 502, "The presentation server did not answer with an event stream"),
    ],
)
async def test_upstream_errors_before_the_stream_are_json(
    start_gateway: Callable[..., RunningGateway],
    scripted: ThreadedServer,
    script: Script,
    mode: str,
    status: int,
    detail: str,
) -> None:
    script.stream = mode
    running = start_gateway(scripted.url)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway)
        answer = await gateway.get(deck_stream(pid))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"detail": detail}
    if mode == "503":
        assert answer.headers["retry-after"] == "7"


async def test_an_upstream_that_never_answers_the_stream_is_a_504(
    start_gateway: Callable[..., RunningGateway], scripted: ThreadedServer, script: Script
) -> None:
    script.stream = "hold_headers"
    running = start_gateway(scripted.url, stream_open_timeout_seconds=0.3)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway)
        answer = await gateway.get(deck_stream(pid))
    assert answer.status_code == 504
    assert answer.json() == {"detail": TIMED_OUT}


async def test_first_bytes_go_out_before_the_upstream_sends_a_frame(
    start_gateway: Callable[..., RunningGateway], scripted: ThreadedServer, script: Script
) -> None:
    script.stream = "hold"
    running = start_gateway(scripted.url)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway)
        async with gateway.stream("GET", deck_stream(pid)) as response:
            parts = response.aiter_raw()
            first = await anext(parts)
            # The upstream is still holding its first frame: these bytes are the gateway's.
            assert not script.release.is_set()
            assert response.status_code == 200
            assert first.startswith(b": ")
            script.release.set()
            rest = b"".join([part async for part in parts])
    events = [b for b in blocks((first + rest).decode()) if "event: response" in b]
    assert len(events) == 2 and '"type": "complete"' in events[-1]


async def test_a_stream_that_ends_without_a_terminal_frame_gets_one_error_frame(
    start_gateway: Callable[..., RunningGateway], scripted: ThreadedServer, script: Script
) -> None:
    script.stream = "no_terminal"
    running = start_gateway(scripted.url)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway)
        frames = await read_all(gateway, deck_stream(pid))
    assert [f.type for f in frames] == ["chunk", "chunk", "error"]
    assert frames[-1].event == "response"
    assert frames[-1].data == {"type": "error", "detail": ENDED_EARLY}


async def test_a_stream_cut_mid_deck_ends_in_one_error_frame_and_can_resume(
    start_gateway: Callable[..., RunningGateway],
    start_upstream: Callable[..., RunningUpstream],
    fake_llm: FakeLLMHandle,
) -> None:
    # Slide 2 stalls at the LLM until the upstream's 5 s timeout retries it, so the cut
    # lands after slides 0 and 1 and before the rest of the deck.
    upstream = start_upstream(llm_timeout_seconds=5)
    proxy = CutProxy(upstream.url).start()
    try:
        running = start_gateway(proxy.url)
        async with caller_client(running.url, "alice") as gateway:
            pid = await prepared(gateway, n=6)
            fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
            frames = []
            async with open_stream(gateway, deck_stream(pid)) as source:
                async for frame in source:
                    frames.append(frame)
                    if len(slide_frames(frames)) == 2 and proxy.open_connections:
                        proxy.cut()
            assert frames[-1].type == "error"
            assert frames[-1].data["detail"] == LOST
            assert sum(1 for f in frames if f.terminal) == 1
            assert [s["index"] for s in slide_frames(frames)] == [0, 1]
            # The error frame has no id, so the client's position is the upstream's last.
            rest = await read_all(gateway, deck_stream(pid), last_event_id=frames[-1].id)
    finally:
        proxy.stop()
    assert rest[-1].type == "complete"
    indices = [s["index"] for s in slide_frames(frames + rest)]
    assert indices == list(range(6))


async def test_a_silent_upstream_gets_gateway_pings_past_a_proxy_idle_timeout(
    start_gateway: Callable[..., RunningGateway],
    start_upstream: Callable[..., RunningUpstream],
    fake_llm: FakeLLMHandle,
) -> None:
    # Slide 1 stalls for the upstream's 3 s LLM timeout; the upstream's own heartbeat (15 s)
    # stays silent all along. The client gives up on 1 s of silence, as a proxy would.
    upstream = start_upstream(llm_timeout_seconds=3)
    running = start_gateway(upstream.url, heartbeat_seconds=0.1)
    idle_timeout = httpx.Timeout(30, read=1.0)
    async with caller_client(running.url, "alice") as gateway:
        pid = await prepared(gateway, n=3)
        fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(1)})
        async with gateway.stream("GET", deck_stream(pid), timeout=idle_timeout) as response:
            raw = b"".join([part async for part in response.aiter_raw()]).decode()
    pings = [b for b in blocks(raw) if b == ": ping"]
    assert len(pings) >= 10
    assert '"type": "complete"' in blocks(raw)[-1]
    (upstream_stream,) = upstream.log.streams()
    assert ": ping" not in upstream_stream.text


async def test_sync_generate_past_its_ceiling_is_a_504_naming_the_task(
    start_gateway: Callable[..., RunningGateway],
    upstream: RunningUpstream,
    fake_llm: FakeLLMHandle,
) -> None:
    running = start_gateway(upstream.url, generate_wait_seconds=0.5)
    fake_llm.add_faults({"kind": "stall", "times": 100, "match": marker(0)})
    body = {"content": "Geothermal", "slides_markdown": [f"# Heat {marker(0)}", "# Rocks"]}
    async with caller_client(running.url, "alice") as gateway:
        answer = await gateway.post("/presentations/generate", json=body)
        assert answer.status_code == 504
        detail = answer.json()["detail"]
        task_id = detail.split("(task ")[1].split(")")[0]
        assert f"GET /presentations/status/{task_id}" in detail
        assert "POST /presentations/generate/async" in detail
        # The task is the caller's: they can poll it, nobody else can.
        status = await gateway.get(f"/presentations/status/{task_id}")
        assert status.status_code == 200 and status.json()["status"] == "pending"
    async with caller_client(running.url, "bob") as other:
        assert (await other.get(f"/presentations/status/{task_id}")).status_code == 404


async def test_a_presenton_upstream_exports_through_its_export_route(
    start_gateway: Callable[..., RunningGateway], scripted: ThreadedServer, script: Script
) -> None:
    running = start_gateway(scripted.url)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway)
        answer = await gateway.get(f"/presentations/{pid}/export", params={"format": "pptx"})
    assert answer.status_code == 200
    assert answer.content == script.file
    assert answer.headers["content-disposition"].startswith("attachment")


def test_error_frames_use_presentons_envelope() -> None:
    from slidestream.gateway.sse import error_frame

    frame = error_frame("Gone").decode()
    assert frame == 'event: response\ndata: {"type": "error", "detail": "Gone"}\n\n'
    assert json.loads(frame.split("data: ")[1]) == {"type": "error", "detail": "Gone"}
