"""Upstream failures through the gateway: each ends in a well-formed answer (a JSON error
before the stream, one `error` frame after it) and never in a hung connection."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from slidestream.gateway import MemoryOwnershipStore, Resource
from slidestream.gateway.relay import ENDED_EARLY, LOST, ResumePolicy
from slidestream.gateway.upstream import TIMED_OUT, UNREACHABLE
from tests.gateway.conftest import RunningGateway, RunningUpstream
from tests.gateway.support import (
    RESUMED,
    WITH_IDS,
    RequestLog,
    Script,
    blocks,
    caller_client,
    create,
    deck_stream,
    prepared,
    raw_stream,
    scripted_upstream,
)
from tests.support.cut_proxy import CutProxy, cut_proxy
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import marker
from tests.support.servers import ThreadedServer, free_port, threaded_server
from tests.support.sse import Frame, open_stream, read_all, slide_frames

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


# Reconnections to the upstream are quick in tests (the backoff is tested on its own).
QUICK_RESUME = {"resume_backoff_seconds": 0.01, "resume_backoff_max_seconds": 0.02}


async def _cut_after_two_slides(
    gateway: httpx.AsyncClient, proxy: CutProxy, pid: str, *, block: bool
) -> list[Frame]:
    """Read the deck, cutting (or blocking for good) the gateway's upstream connection
    once the client has two slides; slide 2 is stalled at the LLM meanwhile."""
    frames: list[Frame] = []
    async with open_stream(gateway, deck_stream(pid)) as source:
        async for frame in source:
            frames.append(frame)
            if len(slide_frames(frames)) == 2 and proxy.open_connections:
                proxy.block() if block else proxy.cut()
    return frames


@pytest.mark.parametrize("direct_streams", [True, False], ids=["direct", "httpx"])
async def test_a_stream_cut_mid_deck_is_resumed_upstream_and_the_client_sees_one_stream(
    start_gateway: Callable[..., RunningGateway],
    start_upstream: Callable[..., RunningUpstream],
    fake_llm: FakeLLMHandle,
    direct_streams: bool,
) -> None:
    # Slide 2 stalls at the LLM until the upstream's 5 s timeout retries it, so the cut
    # lands after slides 0 and 1 and before the rest of the deck.
    upstream = start_upstream(llm_timeout_seconds=5)
    with cut_proxy(upstream.url) as proxy:
        running = start_gateway(proxy.url, direct_streams=direct_streams, **QUICK_RESUME)
        async with caller_client(running.url, "alice") as gateway:
            pid = await prepared(gateway, n=6)
            fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
            frames = await _cut_after_two_slides(gateway, proxy, pid, block=False)
    # One stream for the client: every frame once, in order, one terminal frame.
    assert [s["index"] for s in slide_frames(frames)] == list(range(6))
    assert [f.type for f in frames].count("complete") == 1
    assert frames[-1].type == "complete"
    assert not any(f.type in ("error", "reset") for f in frames)
    ids = [f.id for f in frames]
    assert len(set(ids)) == len(ids) and all(ids)
    # The gateway reconnected from the last frame it had relayed: slide 1's.
    first, second = upstream.log.streams()
    slide_ids = [f.id for f in frames if f.type == "chunk" and '"presentation"' in f.data["chunk"]]
    assert first.headers.get("last-event-id") is None
    assert second.headers["last-event-id"] == slide_ids[1]


async def test_an_upstream_that_stays_unreachable_ends_in_one_error_frame(
    start_gateway: Callable[..., RunningGateway],
    start_upstream: Callable[..., RunningUpstream],
    fake_llm: FakeLLMHandle,
) -> None:
    upstream = start_upstream(llm_timeout_seconds=5)
    with cut_proxy(upstream.url) as proxy:
        running = start_gateway(proxy.url, resume_attempts=3, **QUICK_RESUME)
        async with caller_client(running.url, "alice") as gateway:
            pid = await prepared(gateway, n=6)
            fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(2)})
            # The stream ends (no hung connection) after the gateway's attempts.
            frames = await _cut_after_two_slides(gateway, proxy, pid, block=True)
            assert frames[-1].type == "error"
            assert frames[-1].data == {"type": "error", "detail": LOST}
            assert sum(1 for f in frames if f.terminal) == 1
            assert [s["index"] for s in slide_frames(frames)] == [0, 1]
            assert len(upstream.log.streams()) == 1  # every reconnection was refused
            # The error frame has no id, so the client's position is the upstream's last:
            # once the network is back, the client continues where it was.
            proxy.restore()
            rest = await read_all(gateway, deck_stream(pid), last_event_id=frames[-1].id)
    assert rest[-1].type == "complete"
    assert [s["index"] for s in slide_frames(frames + rest)] == list(range(6))


async def test_a_stream_with_ids_that_ends_early_is_resumed_without_repeats(
    start_gateway: Callable[..., RunningGateway], script: Script
) -> None:
    script.stream = "ids_then_end"
    log = RequestLog(scripted_upstream(script))
    with threaded_server(log) as scripted:
        running = start_gateway(scripted.url, **QUICK_RESUME)
        async with caller_client(running.url, "alice") as gateway:
            pid = await create(gateway)
            response, raw = await raw_stream(gateway, deck_stream(pid))
    assert response.status_code == 200
    # The reopened stream's own opening comment and retry are not passed on again.
    assert [b for b in blocks(raw) if not b.startswith(": slidestream-gateway")] == [
        frame.decode().rstrip("\n") for frame in WITH_IDS + RESUMED[1:]
    ]
    sent = [r.headers.get("last-event-id") for r in log.streams()]
    assert sent == [None, "s:1"]


async def test_a_resume_the_upstream_refuses_ends_in_the_error_frame_at_once(
    start_gateway: Callable[..., RunningGateway], script: Script
) -> None:
    script.stream = "ids_then_refuse"
    log = RequestLog(scripted_upstream(script))
    with threaded_server(log) as scripted:
        running = start_gateway(scripted.url, resume_attempts=5, **QUICK_RESUME)
        async with caller_client(running.url, "alice") as gateway:
            pid = await create(gateway)
            frames = await read_all(gateway, deck_stream(pid))
    # The error frame has no id: the client's position stays the upstream's last.
    assert [(f.id, f.type) for f in frames] == [
        ("s:0", "chunk"),
        ("s:1", "chunk"),
        ("s:1", "error"),
    ]
    assert frames[-1].data == {"type": "error", "detail": ENDED_EARLY}
    # A 400 for the position is final: one attempt, not five.
    assert [r.headers.get("last-event-id") for r in log.streams()] == [None, "s:1"]


def test_reconnection_waits_grow_and_are_jittered() -> None:
    policy = ResumePolicy(attempts=5, backoff=0.5, max_backoff=3.0)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 3.0, 3.0]):
        waits = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1


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
