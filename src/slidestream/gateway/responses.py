"""The client half of a relayed stream: an ASGI response that sends its first bytes at
once, runs the `Relay` that forwards each upstream event as it arrives, writes `: ping`
when nothing was written for a while, and ends with exactly one terminal frame.

It watches for the client's disconnect itself (rather than waiting for a failed write: an
ASGI server may drop writes to a closed connection silently) so that the upstream is
released, or left to drain, as soon as the client is gone. The heartbeat is a task of its
own that sleeps until the next ping is due, so a relayed frame costs no timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from slidestream.gateway.relay import Relay
from slidestream.gateway.sse import HEARTBEAT, OPENING

log = logging.getLogger(__name__)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class RelayResponse(Response):
    """`text/event-stream` relayed by a `Relay`.

    `on_client_gone` decides what happens to the upstream when the client leaves first
    (close it, or drain it); after a normal end the upstream is already closed."""

    media_type = "text/event-stream"

    def __init__(
        self,
        relay: Relay,
        *,
        heartbeat_seconds: float,
        on_client_gone: Callable[[Relay], None],
    ) -> None:
        # Not Response.__init__: it would declare a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.init_headers(SSE_HEADERS)
        self.relay = relay
        self.heartbeat_seconds = heartbeat_seconds
        self.on_client_gone = on_client_gone

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        relay = self.relay
        client_gone = True  # until the relay ends on its own: a cancellation counts as gone
        tasks: list[asyncio.Future[None]] = []
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": OPENING, "more_body": True})
            pump = relay.start(send)
            watch = asyncio.ensure_future(_disconnected(receive))
            beat = asyncio.ensure_future(self._heartbeat())
            tasks = [pump, watch, beat]
            done, _ = await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
            if pump in done and not watch.done():
                error = None if pump.cancelled() else pump.exception()
                client_gone = pump.cancelled() or error is not None
                if error is not None and not isinstance(error, OSError):
                    log.error("gateway.stream.failed stream=%s", relay.label, exc_info=error)
        except OSError:
            pass  # a write to a client that has gone
        finally:
            for task in tasks[1:]:
                task.cancel()
            if client_gone:
                log.info("gateway.stream.client_gone stream=%s", relay.label)
                self.on_client_gone(relay)

    async def _heartbeat(self) -> None:
        """`: ping` whenever nothing was written for `heartbeat_seconds` (never in the
        middle of a write: one that blocks on a slow client is no silence)."""
        relay, interval = self.relay, self.heartbeat_seconds
        loop = asyncio.get_running_loop()
        while True:
            wait = relay.last_write + interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            elif relay.writing:
                await asyncio.sleep(interval)
            else:
                try:
                    await relay.write(HEARTBEAT)
                except OSError:
                    return  # the client is gone; the watcher says so too


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
