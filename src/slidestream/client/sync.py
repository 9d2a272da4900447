"""`Client`: the blocking client, on `httpx.Client`. It only performs I/O; what to send
and how to read the answers lives in `flows` and `sessions`, shared with `AsyncClient`."""

from __future__ import annotations

import builtins
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, Unpack

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


class EventStream(Iterator[StreamEvent]):
    """The events of one stream. Iterate it; close it (or use `with`) to stop early."""

    def __init__(self, events: Generator[StreamEvent, None, None], session: StreamSession) -> None:
        self._events = events
        self._session = session

    @property
    def last_event_id(self) -> str | None:
        """The id of the last frame received (None from a server that sends none). Store
        it to continue in another process: `stream_deck(pid, last_event_id=...)`."""
        return self._session.last_event_id

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> StreamEvent:
        return next(self._events)

    def close(self) -> None:
        self._events.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Client:
    """A blocking client for slidestream or any Presenton-compatible server."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        generate_timeout: float | None = DEFAULT_GENERATE_TIMEOUT,
        stream_timeout: float | None = DEFAULT_STREAM_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
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
        self._http = http_client or httpx.Client(transport=transport)

    def close(self) -> None:
        """Close the underlying httpx client, unless it was passed in."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the Presenton flow -----------------------------------------------------------
    def upload(self, files: Sequence[FileSource]) -> builtins.list[str]:
        """Upload documents (paths, or `(name, bytes)`); returns the server paths to pass
        as `file_paths` / `files`."""
        return self._run(flows.upload(files))

    def create(self, content: str, **fields: Unpack[CreateFields]) -> JSONObject:
        """Create a presentation (no generation yet); the result's `id` names it."""
        return self._run(flows.create(content, fields))

    def stream_outline(self, presentation_id: str) -> EventStream:
        """Generate (or replay) the outline: Status, OutlineDelta..., then Complete or
        StreamError. Broken connections are resumed."""
        session = OutlineSession(presentation_id, self.config.retry, self.config.outlines)
        return EventStream(self._events(session), session)

    def update_outline(self, presentation_id: str, outlines: Sequence[str]) -> JSONObject:
        """Replace the stored outline (`PUT /outlines/{id}`), one text per slide."""
        return self._run(flows.update_outline(presentation_id, outlines))

    def prepare(
        self,
        presentation_id: str,
        outlines: Sequence[str] | None = None,
        layout: str | Mapping[str, Any] = "general",
        title: str | None = None,
    ) -> JSONObject:
        """Fix the outline and layout before the deck is streamed. `outlines=None` uses the
        stored outline; `layout` is a template group name or a full layout model."""
        flow = flows.prepare(presentation_id, outlines, layout, title, self.config.outlines)
        return self._run(flow)

    def stream_deck(self, presentation_id: str, last_event_id: str | None = None) -> EventStream:
        """Generate (or attach to, or replay) the deck: Slide..., then Complete or
        StreamError. `last_event_id` resumes a stream read by an earlier process."""
        session = DeckSession(presentation_id, self.config.retry, last_event_id)
        return EventStream(self._events(session), session)

    # --- one-shot generation ------------------------------------------------------------
    def generate(self, content: str, **fields: Unpack[GenerateFields]) -> GenerateResult:
        """Generate a whole deck in one request (waits up to `generate_timeout`)."""
        return self._run(flows.generate(content, fields))

    def generate_async(self, content: str, **fields: Unpack[GenerateFields]) -> Task:
        """Queue a deck; follow it with `wait(task.id)` or `status(task.id)`."""
        return self._run(flows.generate_async(content, fields))

    def status(self, task_id: str) -> Task:
        return self._run(flows.status(task_id))

    def wait(self, task_id: str, poll_interval: float = 1.0, timeout: float | None = None) -> Task:
        """Poll until the task completes; raises `TaskFailed` or `WaitTimeout`."""
        policy = self.config.retry
        return self._run(flows.wait(task_id, poll_interval, timeout, time.monotonic, policy))

    # --- presentations and files ---------------------------------------------------------
    def get(self, presentation_id: str) -> JSONObject:
        """A presentation with all its slides."""
        return self._run(flows.get(presentation_id))

    def delete(self, presentation_id: str) -> None:
        self._run(flows.delete(presentation_id))

    def export(self, presentation_id: str, format: ExportFormat = "pptx") -> ExportResult:
        """Export the deck as PPTX or PDF; pass the result to `download()`."""
        return self._run(flows.export(presentation_id, format))

    def download(self, path_or_url: str | ExportResult, dest: str | Path) -> Path:
        """Save a file the server serves (an export, an image) to `dest`; a failed
        download leaves no partial file behind."""
        return self._run(flows.download(path_or_url, Path(dest)))

    def list(self) -> builtins.list[JSONObject]:
        """Presentations with slides, newest first (each with its first slide only)."""
        return self._run(flows.list_presentations())

    # --- driver -------------------------------------------------------------------------
    def _run(self, flow: Flow[T]) -> T:
        try:
            instruction = next(flow)
            while True:
                if isinstance(instruction, Sleep):
                    time.sleep(instruction.seconds)
                    instruction = flow.send(None)
                    continue
                try:
                    reply = self._send(instruction)
                except httpx.TransportError as error:
                    instruction = flow.throw(network_error(error))
                    continue
                instruction = flow.send(reply)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _send(self, request: Request) -> Reply:
        url = self.config.url(request.path)
        headers = self.config.headers(url, request.headers)
        timeout = self.config.timeout(request.timeout)
        if request.dest is not None:
            return self._download(url, headers, timeout, request.dest)
        with ExitStack() as files:
            uploads = [
                (
                    "files",
                    (
                        upload.name,
                        files.enter_context(upload.source.open("rb"))
                        if isinstance(upload.source, Path)
                        else upload.source,
                        upload.content_type,
                    ),
                )
                for upload in request.uploads
            ]
            response = self._http.request(
                request.method,
                url,
                json=request.json,
                params=request.params,
                headers=headers,
                files=uploads or None,
                timeout=timeout,
            )
        return Reply(response.status_code, response.headers, response.content)

    def _download(
        self, url: str, headers: dict[str, str], timeout: httpx.Timeout, dest: Path
    ) -> Reply:
        with self._http.stream(
            "GET", url, headers=headers, timeout=timeout, follow_redirects=True
        ) as response:
            if not response.is_success:
                return Reply(response.status_code, response.headers, response.read())
            partial = dest.with_name(dest.name + ".part")
            try:
                with partial.open("wb") as out:
                    for data in response.iter_bytes():
                        out.write(data)
                partial.replace(dest)
            finally:
                partial.unlink(missing_ok=True)
            return Reply(response.status_code, response.headers, b"")

    def _events(self, session: StreamSession) -> Generator[StreamEvent, None, None]:
        while (step := session.next_step()) is not None:
            if step.delay > 0:
                time.sleep(step.delay)
            if isinstance(step, Fetch):
                try:
                    reply = self._send(step.request)
                except httpx.TransportError as error:
                    session.lost(error)
                    continue
                yield from session.fetched(reply)
            else:
                yield from self._read(session, step.request)

    def _read(self, session: StreamSession, request: Request) -> Generator[StreamEvent, None, None]:
        url = self.config.url(request.path)
        headers = self.config.headers(url, {**SSE_HEADERS, **request.headers})
        try:
            with self._http.stream(
                "GET", url, headers=headers, timeout=self.config.timeout(request.timeout)
            ) as response:
                if not is_event_stream(response.status_code, response.headers):
                    session.refused(Reply(response.status_code, response.headers, response.read()))
                    return
                session.connected()
                for sse in EventSource(response).iter_sse():
                    yield from session.feed(sse)
                    if session.done:
                        return
        except httpx.TransportError as error:
            session.lost(error)
            return
        session.lost(None)
