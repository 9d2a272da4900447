"""The I/O-free vocabulary shared by `Client` and `AsyncClient`.

An operation is a *flow*: a generator that yields `Request`s (and `Sleep`s) and is sent
back a `Reply` for each request; a network failure is thrown into it as `NetworkError` at
the yield. The sync and async clients are drivers that only perform the I/O, so every rule
(which requests, in which order, how answers are read, when to retry) exists once.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from slidestream.client.errors import APIError, NetworkError

API = "/api/v1/ppt"
# Statuses worth retrying on a reconnect or a poll: the server or a proxy in between is
# restarting or overloaded. Everything else is an answer.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

# Sent when opening a stream, as EventSource does (and no cached answer, please).
SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}

TimeoutKind = Literal["default", "generate", "stream"]
T = TypeVar("T")


@dataclass(frozen=True)
class Upload:
    """One file of a multipart upload: a path to read, or bytes."""

    name: str
    source: Path | bytes
    content_type: str


@dataclass(frozen=True)
class Request:
    """An HTTP request to make. `path` is relative to the base URL, or an absolute URL."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    uploads: tuple[Upload, ...] = ()
    timeout: TimeoutKind = "default"
    dest: Path | None = None  # stream a 2xx body into this file instead of memory


@dataclass(frozen=True)
class Reply:
    """What came back: status, headers and (unless streamed to a file) the body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass(frozen=True)
class Sleep:
    seconds: float


Instruction = Request | Sleep
Flow = Generator[Instruction, Reply | None, T]


def reply_json(reply: Reply) -> Any:
    """The body as JSON, or its text when it is not JSON (a plain `Internal Server Error`)."""
    try:
        return reply.json()
    except ValueError:
        return reply.content.decode("utf-8", "replace")


def api_error(reply: Reply) -> APIError:
    """An error answer as an exception, with the detail Presenton's front end would show."""
    body = reply_json(reply)
    detail: Any = body
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if body.get(key) is not None:
                detail = body[key]
                break
    if detail in ("", None):
        detail = f"HTTP {reply.status_code}"
    return APIError(reply.status_code, detail, body)


def expect_json(reply: Reply | None, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
    """The JSON of a successful answer; an `APIError` for anything else."""
    assert reply is not None, "a driver always answers a Request with a Reply"
    if reply.status_code not in ok:
        raise api_error(reply)
    return reply.json()


def is_event_stream(status_code: int, headers: Mapping[str, str]) -> bool:
    content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    return status_code == 200 and content_type == "text/event-stream"


def network_error(error: BaseException) -> NetworkError:
    """A transport failure (httpx's) as the client's own exception, caused by it."""
    network = NetworkError(f"{type(error).__name__}: {error}")
    network.__cause__ = error
    return network
