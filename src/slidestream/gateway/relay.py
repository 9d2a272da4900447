"""A relayed stream: one task reads the upstream's SSE response, cuts it into whole events
and writes them to the client, with no hand-off in between.

Each upstream read becomes at most one client write (the whole events it completed), so a
frame costs one read, one parse and one write. A slow client blocks the write, which stops
the reading, and TCP pushes back on the upstream: the gateway holds at most one read's
worth of events per stream.

When the upstream stream breaks (cut, or ended without a terminal frame) and it has been
sending ids, the relay reconnects to the upstream itself with `Last-Event-ID` set to the
last id it relayed, a few times with jittered backoff, and goes on relaying: the client
sees one stream, every frame once. When that is impossible (no ids, as Presenton sends) or
keeps failing, the client gets one `error` frame instead.

When the client leaves, the relay is either cancelled (the upstream sees its client go) or
detached and drained: read to its end with nobody listening, for upstreams that stop
generating when their connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from fastapi import HTTPException
from starlette.types import Send

from slidestream.gateway.sse import EventTooLarge, SSEParser, error_frame
from slidestream.gateway.wire import UpstreamStream

log = logging.getLogger(__name__)

ENDED_EARLY = "The presentation server ended the stream before it was complete"
LOST = "The connection to the presentation server was lost"
TOO_LARGE = "The presentation server sent an event that is too large"

# Opens the same upstream stream again from a position (its `Last-Event-ID`).
Reopen = Callable[[str], Awaitable[UpstreamStream]]


@dataclass(frozen=True)
class ResumePolicy:
    """How often, and how patiently, a broken upstream stream is reopened: `attempts`
    tries per break (0: never), waiting about `backoff` seconds before the first, twice as
    long before each next one (at most `max_backoff`), each wait jittered to 50-100 %."""

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2.0**attempt) * random.uniform(0.5, 1.0)


NO_RESUME = ResumePolicy(attempts=0)
# Upstream streams being closed after their relay ended without closing them.
_closing: set[asyncio.Task[None]] = set()


class Relay:
    """Relays one upstream SSE response to one client, in a task of its own."""

    def __init__(
        self,
        response: UpstreamStream,
        label: str,
        *,
        reopen: Reopen | None = None,
        policy: ResumePolicy = NO_RESUME,
    ) -> None:
        self.label = label
        self.terminal_seen = False
        # The client's Last-Event-ID as it stands: the last id the upstream sent on this
        # relay (None until it sends one, "" after an empty `id:`, which clears it).
        self.last_id: str | None = None
        self.resumes = 0
        self.last_write = 0.0  # loop time of the last write to the client
        self.writing = False
        self._response = response
        self._current_open = True  # `_response`, the upstream stream being relayed
        self._reopen = reopen
        self._policy = policy
        self._detached = False
        self._ended = False  # the response's last message went out: no more writes
        self._send: Send | None = None
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle (driven by RelayResponse and the gateway) --------------------------

    def start(self, send: Send | None) -> asyncio.Task[None]:
        """Start relaying to `send` (None: to nobody, for a drain)."""
        self._send = send
        self.last_write = asyncio.get_running_loop().time()
        self._task = asyncio.create_task(self._run(), name=f"gateway-relay {self.label}")
        # However the task ends (even cancelled before its first step), the upstream
        # stream is closed and its connection slot released.
        self._task.add_done_callback(self._close_current)
        return self._task

    def _close_current(self, _task: object = None) -> None:
        if self._current_open:
            self._current_open = False
            closing = asyncio.ensure_future(self._response.aclose())
            _closing.add(closing)
            closing.add_done_callback(_closing.discard)

    def close(self) -> None:
        """Stop relaying and close the upstream connection (the upstream sees its client
        go). Before `start`, just closes the upstream response."""
        if self._task is None:
            self._close_current()
        else:
            self._task.cancel()

    def detach(self, timeout: float) -> asyncio.Task[None]:
        """Nobody listens any more: keep reading to the upstream's end (at most `timeout`
        seconds), throwing the events away, never reconnecting. Returns the task that
        finishes with it."""
        self._detached = True
        task = self._task if self._task is not None else self.start(None)
        return asyncio.create_task(self._drain(task, timeout), name=f"gateway-drain {self.label}")

    async def _drain(self, task: asyncio.Task[None], seconds: float) -> None:
        try:
            await asyncio.wait_for(task, seconds)
        except TimeoutError:
            log.warning("gateway.drain.timeout stream=%s", self.label)
        except Exception:
            log.exception("gateway.drain.failed stream=%s", self.label)
        else:
            log.info("gateway.drain.done stream=%s complete=%s", self.label, self.terminal_seen)

    async def write(self, data: bytes) -> None:
        """Send bytes to the client (nothing once detached)."""
        if self._detached or self._send is None or self._ended:
            return
        self.writing = True
        try:
            await self._send({"type": "http.response.body", "body": data, "more_body": True})
        finally:
            self.writing = False
            self.last_write = asyncio.get_running_loop().time()

    # --- the relay itself ----------------------------------------------------------------

    async def _run(self) -> None:
        response: UpstreamStream | None = self._response
        resumed = False
        detail: str | None = None
        while response is not None:
            self._response, self._current_open = response, True
            detail, progressed = await self._relay(response, resumed)
            if detail is None:
                break  # the terminal frame went out
            if progressed:
                self.resumes = 0  # each break gets its own attempts
            response = await self._resume(detail) if detail != TOO_LARGE else None
            resumed = True
        if detail is not None and not self._detached:
            log.warning("gateway.stream.broken stream=%s detail=%s", self.label, detail)
            await self.write(error_frame(detail))
        if not self._detached and self._send is not None:
            self._ended = True
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _relay(self, response: UpstreamStream, resumed: bool) -> tuple[str | None, bool]:
        """Relay one upstream response until it ends. Returns why it ended without a
        terminal frame (None: it sent one) and whether it relayed any event."""
        parser = SSEParser()
        progressed = False
        try:
            while True:
                try:
                    chunk = await response.read()
                    if not chunk:
                        return ENDED_EARLY, progressed
                    events = parser.feed(chunk)
                except EventTooLarge:
                    return TOO_LARGE, progressed
                except (httpx.HTTPError, OSError) as error:
                    log.warning("gateway.stream.cut stream=%s error=%r", self.label, error)
                    return LOST, progressed
                if not events:
                    continue
                out: list[bytes] = []
                for event in events:
                    event_id = event.id
                    if event_id is not None:
                        self.last_id = event_id
                    elif resumed and not event.has_data:
                        continue  # the reopened stream's own opening comment and `retry:`
                    out.append(event.raw)
                    if event.is_terminal:
                        self.terminal_seen = True
                        break
                if out:
                    progressed = True
                    out.append(b"")
                    await self.write(b"\n\n".join(out))
                if self.terminal_seen:
                    return None, progressed
        finally:
            self._current_open = False
            with contextlib.suppress(httpx.HTTPError, OSError):
                await response.aclose()

    async def _resume(self, detail: str) -> UpstreamStream | None:
        """The same stream reopened after the last relayed id, or None when it cannot be
        (no ids, nobody listening, a refusal, or every attempt failed)."""
        last_id = self.last_id
        if self._reopen is None or not last_id or self._detached:
            return None
        while self.resumes < self._policy.attempts:
            await asyncio.sleep(self._policy.delay(self.resumes))
            if self._detached:
                return None  # the client left meanwhile: nobody to resume for
            self.resumes += 1
            log.info(
                "gateway.stream.resume stream=%s last_event_id=%s attempt=%d after=%r",
                self.label,
                last_id,
                self.resumes,
                detail,
            )
            try:
                response = await self._reopen(last_id)
            except HTTPException as error:
                if error.status_code < 500:
                    return None  # the upstream refuses this position: retrying cannot help
                continue
            if response.status_code == 200 and response.headers.get("content-type", "").startswith(
                "text/event-stream"
            ):
                return response
            await response.aclose()  # 204 (nothing after that id) or not a stream
            return None
        return None
