"""A client for slidestream and any Presenton-compatible server, sync and async.

    from slidestream.client import Client, Slide, Complete

    with Client("http://localhost:8000") as client:
        deck = client.create("Heat pumps", n_slides=6)
        for event in client.stream_outline(deck["id"]):
            ...
        client.prepare(deck["id"])
        for event in client.stream_deck(deck["id"]):
            if isinstance(event, Slide):
                print(event.index, event.slide["content"].get("title"))

Streams resume on their own after a broken connection and never hand out a slide twice;
see docs/client.md.
"""

from slidestream.client.aio import AsyncClient, AsyncEventStream
from slidestream.client.errors import (
    APIError,
    ClientError,
    NetworkError,
    StreamInterrupted,
    TaskFailed,
    WaitTimeout,
)
from slidestream.client.events import (
    Complete,
    OutlineDelta,
    Slide,
    SlideData,
    Status,
    StreamError,
    StreamEvent,
)
from slidestream.client.flows import CreateFields, GenerateFields
from slidestream.client.models import (
    ExportFormat,
    ExportResult,
    GenerateResult,
    JSONObject,
    RetryPolicy,
    Task,
)
from slidestream.client.sync import Client, EventStream

__all__ = [
    "APIError",
    "AsyncClient",
    "AsyncEventStream",
    "Client",
    "ClientError",
    "Complete",
    "CreateFields",
    "EventStream",
    "ExportFormat",
    "ExportResult",
    "GenerateFields",
    "GenerateResult",
    "JSONObject",
    "NetworkError",
    "OutlineDelta",
    "RetryPolicy",
    "Slide",
    "SlideData",
    "Status",
    "StreamError",
    "StreamEvent",
    "StreamInterrupted",
    "Task",
    "TaskFailed",
    "WaitTimeout",
]
