"""The client half of a relayed stream: an ASGI response that sends its first bytes at
once, forwards each upstream event as it arrives, writes `: ping` when the upstream is
silent, and ends with exactly one terminal frame.

It watches for the client's disconnect itself (rather than waiting for a failed write) so
that the upstream is released, or left to drain, as soon as the client is gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from slidestream.gateway.relay import Relayed, StreamEnd, UpstreamStream
from slidestream.gateway.sse import HEARTBEAT, OPENING, error_frame

log = logging.getLogger(__name__)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# Events already waiting are written together, up to this many per write.
BATCH_EVENTS = 16


class RelayResponse(Response):
    """`text/event-stream` relayed from an `UpstreamStream`.

    `on_client_gone` decides what happens to the upstream when the client leaves first
    (close it, or drain it); after a normal end the upstream is closed."""

    media_type = "text/event-stream"

    def __init__(
        self,
        stream: UpstreamStream,
        *,
        heartbeat_seconds: float,
        on_client_gone: Callable[[UpstreamStream], None],
    ) -> None:
        # Not Response.__init__: it would declare a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.init_headers(SSE_HEADERS)
        self.stream = stream
        self.heartbeat_seconds = heartbeat_seconds
        self.on_client_gone = on_client_gone

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client_gone = True  # until the relay ends on its own: a cancellation counts as gone
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": OPENING, "more_body": True})
            client_gone = await self._relay(receive, send)
        except OSError:
            pass  # a write to a client that has gone
        finally:
            if client_gone:
                log.info("gateway.stream.client_gone stream=%s", self.stream.label)
                self.on_client_gone(self.stream)
            else:
                self.stream.close()

    async def _relay(self, receive: Receive, send: Send) -> bool:
        """Forward until the stream ends (False) or the client leaves (True)."""
        pump = asyncio.ensure_future(self._pump(send))
        watch = asyncio.ensure_future(_disconnected(receive))
        try:
            done, _ = await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pump.cancel()
            watch.cancel()
        if pump in done:
            pump.result()  # re-raises a failed write (OSError: the client is gone)
            return False
        return True

    async def _pump(self, send: Send) -> None:
        while True:
            try:
                async with asyncio.timeout(self.heartbeat_seconds):
                    item = await self.stream.next()
            except TimeoutError:
                await _write(send, HEARTBEAT)
                continue
            batch, end = self._batch(item)
            if batch:
                await _write(send, b"".join(event.data for event in batch))
                if batch[-1].terminal:
                    break
            if end is not None:
                if end.detail is not None:
                    log.warning(
                        "gateway.stream.broken stream=%s detail=%s", self.stream.label, end.detail
                    )
                    await _write(send, error_frame(end.detail))
                break
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _batch(self, first: Relayed | StreamEnd) -> tuple[list[Relayed], StreamEnd | None]:
        """`first` and the events already queued behind it, up to a terminal frame or the
        end of the stream (returned apart)."""
        batch: list[Relayed] = []
        item: Relayed | StreamEnd | None = first
        while isinstance(item, Relayed):
            batch.append(item)
            if item.terminal or len(batch) >= BATCH_EVENTS:
                return batch, None
            item = self.stream.next_nowait()
        return batch, item


async def _write(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
