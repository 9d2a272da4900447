"""Reading Presenton-framed SSE streams in tests (httpx-sse does the parsing)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import aconnect_sse


@dataclass(frozen=True)
class Frame:
    id: str
    event: str
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.data["type"])

    @property
    def terminal(self) -> bool:
        return self.type in ("complete", "error")


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, url: str, last_event_id: str | None = None
) -> AsyncIterator[AsyncIterator[Frame]]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with aconnect_sse(client, "GET", url, headers=headers, timeout=None) as source:
        source.response.raise_for_status()

        async def frames() -> AsyncIterator[Frame]:
            async for event in source.aiter_sse():
                if not event.data:
                    continue  # a retry/comment-only block: browsers dispatch nothing for it
                yield Frame(event.id, event.event, json.loads(event.data))

        yield frames()


async def read_all(
    client: httpx.AsyncClient, url: str, last_event_id: str | None = None
) -> list[Frame]:
    """Every frame until the server closes the stream."""
    async with open_stream(client, url, last_event_id) as frames:
        return [frame async for frame in frames]


async def read_until(
    client: httpx.AsyncClient,
    url: str,
    done: Any,
    last_event_id: str | None = None,
) -> list[Frame]:
    """Frames until `done(frames_so_far)` is true, then disconnect."""
    received: list[Frame] = []
    async with open_stream(client, url, last_event_id) as frames:
        async for frame in frames:
            received.append(frame)
            if done(received) or frame.terminal:
                break
    return received


def slide_frames(frames: list[Frame]) -> list[dict[str, Any]]:
    """The slides carried by a deck stream's chunks (commas stripped)."""
    slides = []
    for frame in frames:
        if frame.type != "chunk":
            continue
        text = frame.data["chunk"].lstrip(", ")
        if text.startswith('{"presentation"'):
            slides.append(json.loads(text))
    return slides


def chunks_text(frames: list[Frame]) -> str:
    return "".join(f.data["chunk"] for f in frames if f.type == "chunk")
