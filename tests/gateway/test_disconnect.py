"""A client that leaves mid-stream: by default the gateway lets go of the upstream stream
at once; with `drain_after_disconnect` it reads it to its end (for upstreams whose
generation dies with the connection). Observed on the upstream's side of the wire."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.gateway.conftest import RunningGateway, RunningUpstream
from tests.gateway.support import caller_client, deck_stream, prepared
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import API, marker
from tests.support.sse import read_all, read_until, slide_frames
from tests.support.waiting import wait_for

STRICT = pytest.mark.parametrize(
    "presenton_strict", [False, True], ids=["slidestream", "presenton"]
)


async def _leave_after_two_slides(running: RunningGateway, fake_llm: FakeLLMHandle) -> str:
    """Start a 6-slide deck whose slide 2 hangs at the LLM, read two slides, hang up."""
    async with caller_client(running.url, "alice") as gateway:
        pid = await prepared(gateway, n=6)
        fake_llm.add_faults({"kind": "stall", "times": 100, "match": marker(2)})
        frames = await read_until(
            gateway, deck_stream(pid), lambda got: len(slide_frames(got)) == 2
        )
    assert [s["index"] for s in slide_frames(frames)] == [0, 1]
    return pid


@STRICT
async def test_a_client_that_leaves_releases_the_upstream_stream(
    start_gateway: Callable[..., RunningGateway],
    start_upstream: Callable[..., RunningUpstream],
    fake_llm: FakeLLMHandle,
    presenton_strict: bool,
) -> None:
    upstream = start_upstream(presenton_strict=presenton_strict)
    running = start_gateway(upstream.url)
    await _leave_after_two_slides(running, fake_llm)
    (stream,) = upstream.log.streams()
    # Slide 2 is still stalled, so only the gateway letting go can end this request.
    await wait_for(lambda: stream.ended, bool, "the upstream stream request ends")
    assert '"type": "complete"' not in stream.text
    assert '"type": "error"' not in stream.text
    assert running.gateway.draining == 0
    assert running.gateway.upstream.open_streams == 0  # its connection slot is free again


@STRICT
async def test_with_drain_the_upstream_stream_is_read_to_its_end(
    start_gateway: Callable[..., RunningGateway],
    start_upstream: Callable[..., RunningUpstream],
    fake_llm: FakeLLMHandle,
    presenton_strict: bool,
) -> None:
    upstream = start_upstream(presenton_strict=presenton_strict)
    running = start_gateway(upstream.url, drain_after_disconnect=True)
    pid = await _leave_after_two_slides(running, fake_llm)
    await wait_for(lambda: running.gateway.draining, lambda n: n == 1, "the gateway drains")
    (stream,) = upstream.log.streams()
    assert not stream.ended
    # End the generation upstream: the drained stream receives its terminal frame.
    async with httpx.AsyncClient(base_url=upstream.url, timeout=30) as direct:
        cancelled = await direct.post(f"{API}/presentation/cancel/{pid}")
        assert cancelled.status_code == 200, cancelled.text
    await wait_for(lambda: stream.ended, bool, "the drained upstream stream ends")
    assert '"type": "error"' in stream.text
    await wait_for(lambda: running.gateway.draining, lambda n: n == 0, "the drain finishes")
    assert running.gateway.upstream.open_streams == 0


async def test_a_stream_read_to_its_end_leaves_nothing_to_drain(
    start_gateway: Callable[..., RunningGateway], upstream: RunningUpstream
) -> None:
    running = start_gateway(upstream.url, drain_after_disconnect=True)
    async with caller_client(running.url, "alice") as gateway:
        pid = await prepared(gateway, n=2)
        frames = await read_all(gateway, deck_stream(pid))
    assert frames[-1].type == "complete"
    (stream,) = upstream.log.streams()
    await wait_for(lambda: stream.ended, bool, "the upstream stream request ends")
    assert running.gateway.draining == 0
