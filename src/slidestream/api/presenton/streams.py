"""The two SSE endpoints: outline stream and presentation stream.

Errors found before streaming (unknown id, not prepared, bad Last-Event-ID) are JSON
responses; everything after is frames. A `Last-Event-ID` naming a terminal frame gets 204,
which tells a browser's EventSource to stop reconnecting. With `presenton_strict` the
streams are Presenton's wire byte for byte and `Last-Event-ID` is ignored.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status
from sse_starlette import EventSourceResponse

from slidestream.access import Access
from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.streaming.positions import StreamKind, parse_last_event_id
from slidestream.streaming.readers import DeckStreamReader, OutlineStreamReader
from slidestream.streaming.sse import presenton_sse_response, sse_response

router = APIRouter(tags=["streams"])
ServicesDep = Annotated[Services, Depends(services)]
LastEventIdHeader = Annotated[
    str | None,
    Header(
        alias="last-event-id",
        description="Resume after this frame (sent automatically by EventSource).",
    ),
]
LastEventIdQuery = Annotated[
    str | None,
    Query(
        alias="last_event_id",
        description="Resume after this frame, for clients that cannot set headers.",
    ),
]
STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Presenton-framed SSE stream"},
    204: {"description": "The client has already received this stream's terminal frame"},
    400: {"description": "Malformed Last-Event-ID, or the presentation is not ready"},
    401: {"description": "No valid API key or stream token"},
    404: {"description": "Presentation not found"},
}


async def _open_stream(
    svc: Services,
    access: Access,
    presentation_id: uuid.UUID,
    kind: StreamKind,
    header: str | None,
    query: str | None,
) -> Response:
    """Shared by both endpoints: read the position, answer 204 after a terminal frame,
    make sure generation runs (or attach to it), and hand the client to a reader.

    In strict Presenton mode the position is ignored: every request streams from the
    start (a replay when the deck exists), exactly as a Presenton client expects."""
    strict = svc.settings.presenton_strict
    raw_id = header if header is not None else query
    position = None if strict else parse_last_event_id(raw_id, kind)
    if position is not None and position.is_terminal:
        await svc.presentations.check_access(presentation_id, access)
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    common = (
        svc.repository,
        svc.channel,
        presentation_id,
        position,
        svc.settings.stream_recheck_seconds,
    )
    reader: OutlineStreamReader | DeckStreamReader
    if kind == "o":
        await svc.presentations.start_outline(presentation_id, access)
        reader = OutlineStreamReader(*common, resets=not strict)
    else:
        await svc.presentations.start_deck(presentation_id, access, resuming=position is not None)
        reader = DeckStreamReader(*common, resets=not strict, commas=not strict)
    if strict:
        return presenton_sse_response(reader.frames())
    return sse_response(
        reader.frames(),
        heartbeat_seconds=svc.settings.heartbeat_seconds,
        retry_ms=svc.settings.sse_retry_ms,
    )


@router.get(
    "/outlines/stream/{id}",
    response_class=EventSourceResponse,
    responses=STREAM_RESPONSES,
)
async def stream_outline(
    id: uuid.UUID,
    svc: ServicesDep,
    access: AccessDep,
    last_event_id: LastEventIdHeader = None,
    last_event_id_query: LastEventIdQuery = None,
) -> Response:
    """Generate the outline (or attach to its generation, or replay it) as SSE."""
    return await _open_stream(svc, access, id, "o", last_event_id, last_event_id_query)


@router.get(
    "/presentation/stream/{id}",
    response_class=EventSourceResponse,
    responses=STREAM_RESPONSES,
)
async def stream_presentation(
    id: uuid.UUID,
    svc: ServicesDep,
    access: AccessDep,
    last_event_id: LastEventIdHeader = None,
    last_event_id_query: LastEventIdQuery = None,
) -> Response:
    """Generate the slides (or attach to their generation, or replay them) as SSE."""
    return await _open_stream(svc, access, id, "d", last_event_id, last_event_id_query)
