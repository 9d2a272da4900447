"""What the gateway holds and for how long: upstream connections, waits whose client has
left, and what it passes on of an upstream's answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator

import pytest

from tests.gateway.conftest import RunningGateway, RunningUpstream
from tests.gateway.support import Script, caller_client, create, deck_stream, scripted_upstream
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import marker
from tests.support.servers import ThreadedServer
from tests.support.waiting import wait_for


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


async def test_open_streams_leave_connections_for_plain_calls(
    start_gateway: Callable[..., RunningGateway], scripted: ThreadedServer, script: Script
) -> None:
    # Two streams fill the gateway's two upstream connections for streams, and stay open
    # (the upstream holds their frames).
    script.stream = "hold"
    running = start_gateway(scripted.url, max_upstream_connections=2, connect_timeout_seconds=0.5)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway)
        streams = [gateway.stream("GET", deck_stream(pid)) for _ in range(2)]
        opened = [await stream.__aenter__() for stream in streams]
        # Kept: an abandoned body iterator closes its response (the client would leave).
        bodies = [response.aiter_raw() for response in opened]
        try:
            for response, body in zip(opened, bodies, strict=True):
                assert response.status_code == 200
                assert (await anext(body)).startswith(b": ")
            # A create still gets a connection: streams do not starve plain calls.
            assert (
                await gateway.post("/presentations/create", json={"content": "x"})
            ).status_code == 200
            # A third stream finds no free connection: 503, try again.
            third = await gateway.get(deck_stream(pid))
            assert third.status_code == 503
            assert third.headers["retry-after"] == "1"
        finally:
            script.release.set()
            for stream in streams:
                await stream.__aexit__(None, None, None)
        # Streams that ended give their connections back.
        upstream = running.gateway.upstream
        await wait_for(lambda: upstream.open_streams, lambda n: n == 0, "streams are released")
        again = await gateway.get(deck_stream(pid))
    assert again.status_code == 200 and '"type": "complete"' in again.text


async def test_a_last_event_id_with_a_line_break_is_a_400_without_an_upstream_call(
    gateway: RunningGateway, upstream: RunningUpstream
) -> None:
    async with caller_client(gateway.url, "alice") as alice:
        pid = await create(alice, n_slides=2)
        answer = await alice.get(
            deck_stream(pid), params={"last_event_id": "d1:1\r\nX-Injected: yes"}
        )
    assert answer.status_code == 400
    assert answer.json() == {"detail": "Invalid Last-Event-ID"}
    assert upstream.log.streams() == []


async def test_a_download_the_upstream_compressed_anyway_arrives_whole(
    start_gateway: Callable[..., RunningGateway], scripted: ThreadedServer, script: Script
) -> None:
    script.gzip_file = True
    script.file = b"PK\x03\x04" + b"slide " * 10_000
    running = start_gateway(scripted.url)
    async with caller_client(running.url, "alice") as gateway:
        pid = await create(gateway)
        answer = await gateway.get(f"/presentations/{pid}/export", params={"format": "pptx"})
    assert answer.status_code == 200
    assert answer.content == script.file
    assert "content-encoding" not in answer.headers


async def test_a_caller_who_leaves_a_sync_generate_stops_its_wait(
    start_gateway: Callable[..., RunningGateway],
    upstream: RunningUpstream,
    fake_llm: FakeLLMHandle,
    request: pytest.FixtureRequest,
) -> None:
    running = start_gateway(upstream.url, generate_poll_seconds=0.05)
    fake_llm.add_faults({"kind": "stall", "times": 100, "match": marker(0)})
    request.addfinalizer(fake_llm.clear_faults)
    body = {"content": "Geothermal", "slides_markdown": [f"# Heat {marker(0)}", "# Rocks"]}
    async with caller_client(running.url, "alice") as gateway:
        waiting = asyncio.create_task(gateway.post("/presentations/generate", json=body))
        await wait_for(lambda: running.gateway.waiting, lambda n: n == 1, "the gateway waits")
        # The caller gives up (a proxy's timeout, a closed tab) while the deck stalls.
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    # Without a client, the gateway stops waiting, and so polling, at once.
    await wait_for(lambda: running.gateway.waiting, lambda n: n == 0, "the wait ends")
    # The generation itself goes on upstream, its task still the caller's to poll.
    (started,) = [r for r in upstream.log.requests if r.path.endswith("/generate/async")]
    task_id = json.loads(started.body)["id"]
    async with caller_client(running.url, "alice") as gateway:
        status = await gateway.get(f"/presentations/status/{task_id}")
    assert status.status_code == 200 and status.json()["status"] == "pending"
