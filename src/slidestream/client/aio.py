"""`AsyncClient`: the asyncio (or trio) client, on `httpx.AsyncClient`. Same flows and
sessions as `Client`; only the I/O is awaited."""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, Unpack

import anyio
import httpx
from httpx_sse import EventSource

from slidestream.client import flows
from slidestream.client.config import (
    DEFAULT_GENERATE_TIMEOUT,
    DEFAULT_STREAM_TIMEOUT,
    DEFAULT_TIMEOUT,
    ClientConfig,
)
from slidestream.client.events import StreamEvent
from slidestream.client.flows import CreateFields, FileSource, GenerateFields
from slidestream.client.models import (
    ExportFormat,
    ExportResult,
    GenerateResult,
    JSONObject,
    RetryPolicy,
    Task,
)
from slidestream.client.protocol import (
    SSE_HEADERS,
    Flow,
    Reply,
    Request,
    Sleep,
    is_event_stream,
    network_error,
)
from slidestream.client.sessions import DeckSession, Fetch, OutlineSession, StreamSession

T = TypeVar("T")


class AsyncEventStream(AsyncIterator[StreamEvent]):
    """The events of one stream. `async for` over it; `aclose()` (or `async with`) to
    stop early and release the connection at once."""

    def __init__(self, events: AsyncGenerator[StreamEvent, None], session: StreamSession) -> None:
        self._events = events
        self._session = session

    @property
    def last_event_id(self) -> str | None:
        """The id of the last frame received (None from a server that sends none). Store
        it to continue in another process: `stream_deck(pid, last_event_id=...)`."""
        return self._session.last_event_id

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> StreamEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        await self._events.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncClient:
    """An async client for slidestream or any Presenton-compatible server."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        generate_timeout: float | None = DEFAULT_GENERATE_TIMEOUT,
        stream_timeout: float | None = DEFAULT_STREAM_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = ClientConfig(
            base_url,
            api_key=api_key,
            timeout=timeout,
            generate_timeout=generate_timeout,
            stream_timeout=stream_timeout,
            retry=retry or RetryPolicy(),
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport)

    async def aclose(self) -> None:
        """Close the underlying httpx client, unless it was passed in."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- the Presenton flow -----------------------------------------------------------
    async def upload(self, files: Sequence[FileSource]) -> builtins.list[str]:
        """Upload documents (paths, or `(name, bytes)`); returns the server paths."""
        return await self._run(flows.upload(files))

    async def create(self, content: str, **fields: Unpack[CreateFields]) -> JSONObject:
        """Create a presentation (no generation yet); the result's `id` names it."""
        return await self._run(flows.create(content, fields))

    def stream_outline(self, presentation_id: str) -> AsyncEventStream:
        """Generate (or replay) the outline: Status, OutlineDelta..., then Complete or
        StreamError. Broken connections are resumed."""
        session = OutlineSession(presentation_id, self.config.retry, self.config.outlines)
        return AsyncEventStream(self._events(session), session)

    async def update_outline(self, presentation_id: str, outlines: Sequence[str]) -> JSONObject:
        """Replace the stored outline (`PUT /outlines/{id}`), one text per slide."""
        return await self._run(flows.update_outline(presentation_id, outlines))

    async def prepare(
        self,
        presentation_id: str,
        outlines: Sequence[str] | None = None,
        layout: str | Mapping[str, Any] = "general",
        title: str | None = None,
    ) -> JSONObject:
        """Fix the outline and layout before the deck is streamed. `outlines=None` uses the
        stored outline; `layout` is a template group name or a full layout model."""
        flow = flows.prepare(presentation_id, outlines, layout, title, self.config.outlines)
        return await self._run(flow)

    def stream_deck(
        self, presentation_id: str, last_event_id: str | None = None
    ) -> AsyncEventStream:
        """Generate (or attach to, or replay) the deck: Slide..., then Complete or
        StreamError. `last_event_id` resumes a stream read by an earlier process."""
        session = DeckSession(presentation_id, self.config.retry, last_event_id)
        return AsyncEventStream(self._events(session), session)

    # --- one-shot generation ------------------------------------------------------------
    async def generate(self, content: str, **fields: Unpack[GenerateFields]) -> GenerateResult:
        """Generate a whole deck in one request (waits up to `generate_timeout`)."""
        return await self._run(flows.generate(content, fields))

    async def generate_async(self, content: str, **fields: Unpack[GenerateFields]) -> Task:
        """Queue a deck; follow it with `wait(task.id)` or `status(task.id)`."""
        return await self._run(flows.generate_async(content, fields))

    async def status(self, task_id: str) -> Task:
        return await self._run(flows.status(task_id))

    async def wait(
        self,
        task_id: str,
        poll_interval: float = 1.0,
        timeout: float | None = None,  # noqa: ASYNC109 - the same call as Client.wait
    ) -> Task:
        """Poll until the task completes; raises `TaskFailed` or `WaitTimeout` (the
        deadline also counts time spent in requests)."""
        policy = self.config.retry
        return await self._run(flows.wait(task_id, poll_interval, timeout, time.monotonic, policy))

    # --- presentations and files ---------------------------------------------------------
    async def get(self, presentation_id: str) -> JSONObject:
        """A presentation with all its slides."""
        return await self._run(flows.get(presentation_id))

    async def delete(self, presentation_id: str) -> None:
        await self._run(flows.delete(presentation_id))

    async def export(self, presentation_id: str, format: ExportFormat = "pptx") -> ExportResult:
        """Export the deck as PPTX or PDF; pass the result to `download()`."""
        return await self._run(flows.export(presentation_id, format))

    async def download(self, path_or_url: str | ExportResult, dest: str | Path) -> Path:
        """Save a file the server serves (an export, an image) to `dest`; a failed
        download leaves no partial file behind."""
        return await self._run(flows.download(path_or_url, Path(dest)))

    async def list(self) -> builtins.list[JSONObject]:
        """Presentations with slides, newest first (each with its first slide only)."""
        return await self._run(flows.list_presentations())

    # --- driver -------------------------------------------------------------------------
    async def _run(self, flow: Flow[T]) -> T:
        try:
            instruction = next(flow)
            while True:
                if isinstance(instruction, Sleep):
                    await anyio.sleep(instruction.seconds)
                    instruction = flow.send(None)
                    continue
                try:
                    reply = await self._send(instruction)
                except httpx.TransportError as error:
                    instruction = flow.throw(network_error(error))
                    continue
                instruction = flow.send(reply)
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def _send(self, request: Request) -> Reply:
        url = self.config.url(request.path)
        headers = self.config.headers(url, request.headers)
        timeout = self.config.timeout(request.timeout)
        if request.dest is not None:
            return await self._download(url, headers, timeout, request.dest)
        uploads = [
            (
                "files",
                (
                    upload.name,
                    await anyio.Path(upload.source).read_bytes()
                    if isinstance(upload.source, Path)
                    else upload.source,
                    upload.content_type,
                ),
            )
            for upload in request.uploads
        ]
        response = await self._http.request(
            request.method,
            url,
            json=request.json,
            params=request.params,
            headers=headers,
            files=uploads or None,
            timeout=timeout,
        )
        return Reply(response.status_code, response.headers, response.content)

    async def _download(
        self, url: str, headers: dict[str, str], timeouts: httpx.Timeout, dest: Path
    ) -> Reply:
        async with self._http.stream(
            "GET", url, headers=headers, timeout=timeouts, follow_redirects=True
        ) as response:
            if not response.is_success:
                return Reply(response.status_code, response.headers, await response.aread())
            partial = anyio.Path(dest.with_name(dest.name + ".part"))
            try:
                async with await anyio.open_file(partial, "wb") as out:
                    async for data in response.aiter_bytes():
                        await out.write(data)
                await partial.replace(dest)
            finally:
                await partial.unlink(missing_ok=True)
            return Reply(response.status_code, response.headers, b"")

    async def _events(self, session: StreamSession) -> AsyncGenerator[StreamEvent, None]:
        while (step := session.next_step()) is not None:
            if step.delay > 0:
                await anyio.sleep(step.delay)
            if isinstance(step, Fetch):
                try:
                    reply = await self._send(step.request)
                except httpx.TransportError as error:
                    session.lost(error)
                    continue
                for event in session.fetched(reply):
                    yield event
            else:
                # aclosing: a caller that stops early must release the connection now,
                # not whenever the inner generator is garbage-collected.
                async with aclosing(self._read(session, step.request)) as events:
                    async for event in events:
                        yield event

    async def _read(
        self, session: StreamSession, request: Request
    ) -> AsyncGenerator[StreamEvent, None]:
        url = self.config.url(request.path)
        headers = self.config.headers(url, {**SSE_HEADERS, **request.headers})
        try:
            async with self._http.stream(
                "GET", url, headers=headers, timeout=self.config.timeout(request.timeout)
            ) as response:
                if not is_event_stream(response.status_code, response.headers):
                    body = await response.aread()
                    session.refused(Reply(response.status_code, response.headers, body))
                    return
                session.connected()
                async with aclosing(EventSource(response).aiter_sse()) as events:
                    async for sse in events:
                        for event in session.feed(sse):
                            yield event
                        if session.done:
                            return
        except httpx.TransportError as error:
            session.lost(error)
            return
        session.lost(None)
