"""Pieces of the gateway tests: an ASGI wrapper that records what reaches the upstream, a
scripted Presenton-like upstream for failures slidestream never produces, the gateway's
routes, and a raw SSE reader that sees comments too."""

from __future__ import annotations

import asyncio
import gzip
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.flows import marked_outlines
from tests.support.servers import free_port, stop_process, wait_until_healthy


@dataclass
class SeenRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""
    ended: bool = False

    @property
    def is_stream(self) -> bool:
        return "/stream/" in self.path

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class RequestLog:
    """Wraps the upstream app: every request that reaches it, with what it answered (the
    body of stream requests, and whether the request has ended on the upstream's side)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[SeenRequest] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        seen = SeenRequest(scope["method"], scope["path"], scope["query_string"].decode(), headers)
        self.requests.append(seen)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                seen.body += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            seen.ended = True

    def api_requests(self) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith("/api/")]

    def streams(self) -> list[SeenRequest]:
        return [r for r in self.requests if r.is_stream]


# --- the gateway's routes ---------------------------------------------------------------


def deck_stream(pid: str) -> str:
    return f"/presentations/{pid}/stream"


def outline_stream(pid: str) -> str:
    return f"/presentations/{pid}/outline/stream"


async def create(gateway: httpx.AsyncClient, **fields: Any) -> str:
    body = {"content": "Solar energy in 2025", "n_slides": 4, "language": "English", **fields}
    response = await gateway.post("/presentations/create", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def prepared(gateway: httpx.AsyncClient, n: int = 4, **fields: Any) -> str:
    """A presentation created and prepared through the gateway, ready to stream."""
    pid = await create(gateway, n_slides=n, **fields)
    response = await gateway.post(
        f"/presentations/{pid}/prepare", json={"outlines": marked_outlines(n)}
    )
    assert response.status_code == 200, response.text
    return pid


def caller_client(url: str, caller: str | None) -> httpx.AsyncClient:
    headers = {"X-Caller": caller} if caller else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=30)


# --- raw streams ---------------------------------------------------------------------


def blocks(raw: str) -> list[str]:
    """The event blocks of a raw LF-framed stream."""
    return [block for block in raw.split("\n\n") if block]


def is_comment(block: str) -> bool:
    return all(line.startswith(":") for line in block.split("\n"))


async def raw_stream(
    client: httpx.AsyncClient, url: str, **kwargs: Any
) -> tuple[httpx.Response, str]:
    """The whole body of a stream as text, and its response (read until the server closes)."""
    async with client.stream("GET", url, **kwargs) as response:
        body = b"".join([part async for part in response.aiter_raw()])
    return response, body.decode()


# --- a scripted upstream -------------------------------------------------------------


@dataclass
class Script:
    """How the scripted upstream answers stream requests (changed by the test)."""

    stream: str = "complete"
    release: threading.Event = field(default_factory=threading.Event)
    file: bytes = b"PK\x03\x04 a presentation"
    gzip_file: bool = False  # compress the file whatever the request accepts


def _frame(envelope: str) -> bytes:
    return f"event: response\ndata: {envelope}\n\n".encode()


CHUNK = _frame('{"type": "chunk", "chunk": "{ \\"slides\\": [ "}')
COMPLETE = _frame('{"type": "complete", "presentation": {"slides": []}}')


# Headers of the upstream's answers that are the upstream's business, not the caller's.
UPSTREAM_ONLY_HEADERS = {
    "Set-Cookie": "upstream-session=secret; HttpOnly",
    "Keep-Alive": "timeout=5",
    "X-Upstream-Internal": "10.0.0.7",
}


def scripted_upstream(script: Script) -> FastAPI:
    """A Presenton-like upstream (FastAPI, so unknown routes answer `{"detail": "Not
    Found"}`) whose stream does what `script.stream` says:

    - `complete`: a chunk and a complete frame, Presenton's wire;
    - `hold`: headers at once, then nothing until `script.release` is set;
    - `hold_headers`: not even headers until `script.release` is set;
    - `no_terminal`: two chunks, then a clean end without a terminal frame;
    - `ids_then_end`: chunks with ids `s:0`, `s:1`, then a clean end; asked again with
      `Last-Event-ID: s:1`, its opening, chunk `s:2` and a complete frame;
    - `ids_then_refuse`: the same first answer; asked again, 400 (an unknown position);
    - `500_json`, `500_text`, `503`, `not_sse`: errors before any frame.
    """
    app = FastAPI()

    @app.post("/api/v1/ppt/presentation/create")
    async def create_presentation() -> Response:
        return JSONResponse({"id": str(uuid.uuid4())}, headers=UPSTREAM_ONLY_HEADERS)

    @app.get("/api/v1/ppt/presentation/stream/{pid}")
    async def stream(pid: str, request: Request) -> Response:
        position = request.headers.get("last-event-id")
        if script.stream.startswith("ids_") and position is not None:
            if script.stream == "ids_then_refuse" or position != "s:1":
                return JSONResponse({"detail": "Unknown Last-Event-ID"}, status_code=400)
            return StreamingResponse(iter(RESUMED), media_type="text/event-stream")
        if script.stream == "500_json":
            return JSONResponse({"detail": "The database is on fire"}, status_code=500)
        if script.stream == "500_text":
            return PlainTextResponse("Internal Server Error", status_code=500)
        if script.stream == "503":
            return JSONResponse(
                {"detail": "No LLM is configured"}, status_code=503, headers={"Retry-After": "7"}
            )
        if script.stream == "not_sse":
            return JSONResponse({"hello": "world"})
        if script.stream == "hold_headers":
            await asyncio.to_thread(script.release.wait)
        return StreamingResponse(
            _frames(script), media_type="text/event-stream", headers=UPSTREAM_ONLY_HEADERS
        )

    @app.post("/api/v1/ppt/presentation/export")
    async def export(request: Request) -> dict[str, str]:
        body = await request.json()
        return {"presentation_id": body["id"], "path": "/app_data/exports/deck.pptx"}

    @app.get("/app_data/exports/deck.pptx")
    async def exported_file() -> Response:
        if script.gzip_file:
            return Response(
                gzip.compress(script.file),
                media_type="application/octet-stream",
                headers={"Content-Encoding": "gzip"},
            )
        return Response(
            script.file, media_type="application/octet-stream", headers=UPSTREAM_ONLY_HEADERS
        )

    return app


def _with_id(event_id: str, envelope: str) -> bytes:
    return f"id: {event_id}\n".encode() + _frame(envelope)


WITH_IDS = [
    b": upstream\nretry: 1000\n\n",
    _with_id("s:0", '{"type": "chunk", "chunk": "{ \\"slides\\": [ "}'),
    _with_id("s:1", '{"type": "chunk", "chunk": "{\\"index\\": 0}"}'),
]
RESUMED = [
    b": upstream\nretry: 1000\n\n",
    _with_id("s:2", '{"type": "chunk", "chunk": ", {\\"index\\": 1} ] }"}'),
    _with_id("s:end", '{"type": "complete", "presentation": {"slides": []}}'),
]


async def _frames(script: Script) -> Any:
    if script.stream.startswith("ids_"):
        for frame in WITH_IDS:
            yield frame
        return
    if script.stream == "hold":
        await asyncio.to_thread(script.release.wait)
    yield CHUNK
    if script.stream == "no_terminal":
        yield _frame('{"type": "chunk", "chunk": "{\\"index\\": 0}"}')
        return
    yield COMPLETE


# --- the standalone gateway as a process -----------------------------------------------


class GatewayProcess:
    """`slidestream gateway` as a real subprocess, configured by environment variables."""

    def __init__(self, upstream_url: str, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstream_url = upstream_url
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> GatewayProcess:
        command = ["gateway", "--upstream", self.upstream_url, "--port", str(self.port)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "slidestream", *command],
            env=self.env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until_healthy(self.url, self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process, 30)
