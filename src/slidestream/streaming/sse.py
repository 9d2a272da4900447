"""SSE responses: sse-starlette does the framing, pings and disconnect handling.

What slidestream adds is the contract: LF-only frames in Presenton's `event: response`
envelope, an `id:` on every frame, `retry:` sent once in the very first bytes (so proxies
and clients see the stream open at once), comment heartbeats, and headers that stop
proxies from buffering or caching.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent

from slidestream.streaming.frames import EVENT_NAME, Frame

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


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
