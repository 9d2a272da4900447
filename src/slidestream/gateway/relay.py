"""The upstream half of a relayed stream: one task reads the upstream's SSE response,
cuts it into whole events and hands them over through a short queue.

The queue is bounded, so a slow client slows the reading and TCP pushes back on the
upstream; the gateway never holds more than a few events per stream. When the client
leaves, the stream is either closed (the upstream sees its client go) or detached and
drained: read to its end with nobody listening, for upstreams that stop generating when
their connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import httpx

from slidestream.gateway.sse import EventTooLarge, SSEParser

log = logging.getLogger(__name__)

QUEUE_EVENTS = 32
ENDED_EARLY = "The presentation server ended the stream before it was complete"
LOST = "The connection to the presentation server was lost"
TOO_LARGE = "The presentation server sent an event that is too large"


@dataclass(frozen=True)
class Relayed:
    """One whole event, encoded for the client."""

    data: bytes
    terminal: bool


@dataclass(frozen=True)
class StreamEnd:
    """The upstream stream is over; `detail` says why when it ended without a terminal
    frame (the client then gets one `error` frame)."""

    detail: str | None


class UpstreamStream:
    """Reads one upstream SSE response in a task of its own."""

    def __init__(self, response: httpx.Response, label: str) -> None:
        self.label = label
        self.terminal_seen = False
        self._response = response
        self._queue: asyncio.Queue[Relayed | StreamEnd] = asyncio.Queue(maxsize=QUEUE_EVENTS)
        self._detached = False
        self._task = asyncio.create_task(self._read(), name=f"gateway-read {label}")

    async def next(self) -> Relayed | StreamEnd:
        """The next event, or the end; waits as long as the upstream is silent."""
        return await self._queue.get()

    def next_nowait(self) -> Relayed | StreamEnd | None:
        """An event already waiting, if any (to send several in one write)."""
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        """Stop reading and close the upstream connection (the upstream sees its client go)."""
        self._task.cancel()

    def detach(self, timeout: float) -> asyncio.Task[None]:
        """Nobody listens any more: keep reading to the upstream's end (at most `timeout`
        seconds), throwing the events away. Returns the task that finishes with it."""
        self._detached = True
        while self.next_nowait() is not None:
            pass  # frees a reader blocked on the full queue
        return asyncio.create_task(self._drain(timeout), name=f"gateway-drain {self.label}")

    async def _drain(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._task, seconds)
        except TimeoutError:
            log.warning("gateway.drain.timeout stream=%s", self.label)
        else:
            log.info("gateway.drain.done stream=%s complete=%s", self.label, self.terminal_seen)

    async def _put(self, item: Relayed | StreamEnd) -> None:
        if not self._detached:
            await self._queue.put(item)

    async def _read(self) -> None:
        parser = SSEParser()
        end = StreamEnd(ENDED_EARLY)
        # Identity was asked for; an upstream that compressed anyway is decoded.
        encoded = self._response.headers.get("content-encoding", "identity") != "identity"
        chunks = self._response.aiter_bytes() if encoded else self._response.aiter_raw()
        try:
            async for chunk in chunks:
                for event in parser.feed(chunk):
                    terminal = event.is_terminal
                    self.terminal_seen = self.terminal_seen or terminal
                    await self._put(Relayed(event.encode(), terminal))
            if self.terminal_seen:
                end = StreamEnd(None)
        except EventTooLarge:
            end = StreamEnd(TOO_LARGE)
        except (httpx.HTTPError, OSError) as error:
            log.warning("gateway.stream.cut stream=%s error=%r", self.label, error)
            end = StreamEnd(None if self.terminal_seen else LOST)
        finally:
            with contextlib.suppress(httpx.HTTPError, OSError):
                await self._response.aclose()
        await self._put(end)
