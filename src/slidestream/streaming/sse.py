"""SSE responses: sse-starlette does the framing, pings and disconnect handling.

What slidestream adds is the contract: LF-only frames in Presenton's `event: response`
envelope, an `id:` on every frame, `retry:` sent once in the very first bytes (so proxies
and clients see the stream open at once), comment heartbeats, and headers that stop
proxies from buffering or caching. `presenton_sse_response` is the strict-mode wire:
Presenton's bytes and headers, nothing added.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent

from slidestream.streaming.frames import EVENT_NAME, Frame

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# Headers sse-starlette always sets; Presenton's streams carry none of them.
_NON_PRESENTON_HEADERS = ("cache-control", "connection", "x-accel-buffering")


NEVER_SECONDS = 10**9


def _ping() -> ServerSentEvent:
    return ServerSentEvent(comment="ping", sep="\n")


async def _events(frames: AsyncIterator[Frame], retry_ms: int) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(comment="slidestream", retry=retry_ms, sep="\n")
    async for frame in frames:
        yield ServerSentEvent(data=frame.data_line(), event=EVENT_NAME, id=frame.id, sep="\n")


def sse_response(
    frames: AsyncIterator[Frame], *, heartbeat_seconds: float, retry_ms: int
) -> EventSourceResponse:
    """Wrap a reader's frames in a streaming response that ends after the terminal frame."""
    return EventSourceResponse(
        _events(frames, retry_ms),
        ping=heartbeat_seconds,
        ping_message_factory=_ping,
        sep="\n",
        headers=SSE_HEADERS,
    )


async def _presenton_events(frames: AsyncIterator[Frame]) -> AsyncIterator[ServerSentEvent]:
    async for frame in frames:
        yield ServerSentEvent(data=frame.data_line(), event=EVENT_NAME, sep="\n")


def presenton_sse_response(frames: AsyncIterator[Frame]) -> EventSourceResponse:
    """Presenton's exact wire: `event: response` + `data:` frames with no ids, no `retry:`,
    no heartbeats, and only `content-type: text/event-stream; charset=utf-8`.

    sse-starlette still does the disconnect handling; its extra headers are removed."""
    # Not `ping=0`: sse-starlette releases before its fix for that value spin and flood the
    # stream with pings; an interval longer than any stream lives means none is ever sent.
    response = EventSourceResponse(_presenton_events(frames), ping=NEVER_SECONDS, sep="\n")
    for name in _NON_PRESENTON_HEADERS:
        del response.headers[name]
    return response
