"""The gateway's HTTP surface: the seed's "our backend" routes, each forwarded to the
upstream's `/api/v1/ppt/...` after authentication and an ownership check.

Authentication comes first, before FastAPI reads the body or validates a parameter: every
route is an `AuthenticatedRoute`, whose handler asks the `authenticate` hook before it runs
FastAPI's own, so an anonymous caller gets 401 whatever it sent (never a 422 that tells it
what the route expects). The two stream routes take a stream token (`?token=`, see
`tokens.py`) in place of the hook: when one is present it alone decides.

No `from __future__ import annotations` here: FastAPI must see the dependency types that
are built inside `build_router` (they close over the gateway) as objects, not names.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from slidestream.gateway.core import Gateway, resource
from slidestream.gateway.exports import download
from slidestream.gateway.generate import (
    generate_and_wait,
    record_task,
    start_task,
    status_call,
)
from slidestream.gateway.hooks import Caller, UpstreamRequest
from slidestream.gateway.tokens import StreamGrant, mint
from slidestream.gateway.upstream import API_PREFIX, json_object, segment

JsonBody = Annotated[dict[str, Any], Body()]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    404: {"description": "Unknown to this caller (never created by them)"},
    502: {"description": "The upstream server failed or cannot be reached"},
    503: {"description": "The upstream server is unavailable"},
    504: {"description": "The upstream server did not answer in time"},
}


# The upstream route name and path of each stream.
STREAMS = {
    "outline": ("outline_stream", "/outlines/stream/"),
    "deck": ("stream", "/presentation/stream/"),
}


async def resume_position(
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=200)
    ] = None,
    last_event_id: Annotated[str | None, Query(max_length=200)] = None,
) -> str | None:
    """The client's stream position, sent upstream as `Last-Event-ID` whichever way the
    client sent it (the header wins, as on the server). One with a control character (a
    line break in the query parameter) could not be sent as a header: 400."""
    position = last_event_id_header if last_event_id_header is not None else last_event_id
    if position is not None and any(ord(c) < 0x20 or ord(c) == 0x7F for c in position):
        raise HTTPException(400, "Invalid Last-Event-ID")
    return position


PositionDep = Annotated[str | None, Depends(resume_position)]

# Where the authenticated caller (and, for a stream opened by a token, what the token
# grants) waits in the request's scope for the routes' dependencies.
CALLER_SCOPE_KEY = "slidestream.gateway.caller"
GRANT_SCOPE_KEY = "slidestream.gateway.stream_grant"
# The routes a stream token opens.
TOKEN_ROUTES = frozenset({"stream_outline", "stream_presentation"})
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def authenticated_route(gateway: Gateway) -> type[APIRoute]:
    """A route class that authenticates the caller before FastAPI parses anything."""

    class AuthenticatedRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            handler = super().get_route_handler()

            takes_token = self.name in TOKEN_ROUTES

            async def authenticate_first(request: Request) -> Response:
                token = request.query_params.get("token") if takes_token else None
                if token is None:
                    request.scope[CALLER_SCOPE_KEY] = await gateway.authenticate(request)
                else:
                    raw_id = request.path_params.get("presentation_id", "")
                    deck = resource("presentation", str(raw_id)).id
                    grant = await gateway.tokens.open(token, deck)
                    request.scope[CALLER_SCOPE_KEY] = grant.caller
                    request.scope[GRANT_SCOPE_KEY] = grant
                return await handler(request)

            return authenticate_first

    return AuthenticatedRoute


async def authenticated_caller(request: Request) -> Caller:
    caller = request.scope[CALLER_SCOPE_KEY]
    assert isinstance(caller, Caller)
    return caller


CallerDep = Annotated[Caller, Depends(authenticated_caller)]


async def stream_grant(request: Request) -> StreamGrant | None:
    grant = request.scope.get(GRANT_SCOPE_KEY)
    return grant if isinstance(grant, StreamGrant) else None


GrantDep = Annotated[StreamGrant | None, Depends(stream_grant)]
# Declared for the API's schema only: `authenticate_first` reads the token, before FastAPI.
TokenQuery = Annotated[
    str | None,
    Query(
        description="A stream token from `POST /presentations/{id}/stream-token`, in "
        "place of the caller's credentials (for EventSource)"
    ),
]


def build_router(gateway: Gateway) -> APIRouter:
    """All gateway routes on one router whose lifespan closes the gateway."""
    router = APIRouter(
        lifespan=gateway.lifespan,
        tags=["gateway"],
        responses=ERRORS,
        route_class=authenticated_route(gateway),
    )

    async def owned(caller: Caller, presentation_id: str) -> str:
        found = resource("presentation", presentation_id)
        await gateway.authorize(caller, found)
        return found.id

    @router.post("/presentations/create")
    async def create_presentation(body: JsonBody, caller: CallerDep) -> Response:
        """Create a presentation upstream (Presenton's `create` body); it becomes the caller's."""
        call = UpstreamRequest("create", "POST", f"{API_PREFIX}/presentation/create", json=body)
        answer = await gateway.send(caller, call)
        await gateway.record(caller, "presentation", json_object(answer).get("id"))
        return _passed(answer.content)

    @router.post("/presentations/{presentation_id}/prepare")
    async def prepare_presentation(
        presentation_id: str, body: JsonBody, caller: CallerDep
    ) -> Response:
        """Store outlines and layout (Presenton's `prepare` body, without the id)."""
        pid = await owned(caller, presentation_id)
        call = UpstreamRequest(
            "prepare",
            "POST",
            f"{API_PREFIX}/presentation/prepare",
            # The path's id wins over one in the body: it is the one that was checked.
            json={**body, "presentation_id": pid},
        )
        return _passed((await gateway.send(caller, call)).content)

    async def relay_stream(
        caller: Caller,
        presentation_id: str,
        position: str | None,
        kind: str,
        grant: StreamGrant | None,
    ) -> Response:
        # A token was minted after the ownership check, for the deck its seal names (the
        # path's, or it would have been refused): it stands in for the check.
        pid = grant.presentation_id if grant else await owned(caller, presentation_id)
        route, prefix = STREAMS[kind]
        headers = {"Last-Event-ID": position} if position else {}
        call = UpstreamRequest(route, "GET", f"{API_PREFIX}{prefix}{segment(pid)}", headers=headers)
        upstream_token = grant.upstream_token if grant else None
        return await gateway.relay(caller, call, f"{kind}:{pid}", upstream_token=upstream_token)

    @router.get("/presentations/{presentation_id}/outline/stream")
    async def stream_outline(
        presentation_id: str,
        caller: CallerDep,
        position: PositionDep,
        grant: GrantDep,
        token: TokenQuery = None,
    ) -> Response:
        """The outline stream, relayed frame by frame (SSE)."""
        return await relay_stream(caller, presentation_id, position, "outline", grant)

    @router.get("/presentations/{presentation_id}/stream")
    async def stream_presentation(
        presentation_id: str,
        caller: CallerDep,
        position: PositionDep,
        grant: GrantDep,
        token: TokenQuery = None,
    ) -> Response:
        """The slides stream, relayed frame by frame (SSE)."""
        return await relay_stream(caller, presentation_id, position, "deck", grant)

    @router.post(
        "/presentations/{presentation_id}/stream-token",
        name="stream_token",
        responses={501: {"description": "The upstream issues no stream tokens (Presenton)"}},
    )
    async def stream_token(
        presentation_id: str, request: Request, caller: CallerDep
    ) -> dict[str, Any]:
        """A short-lived token that opens this deck's two streams as `?token=`, in place of
        the caller's credentials (for EventSource): `{token, expires_at, expires_in,
        stream_url, outline_stream_url}`. 501 when the upstream issues no tokens."""
        pid = await owned(caller, presentation_id)
        return await mint(
            gateway,
            caller,
            pid,
            stream_path=request.url_for("stream_presentation", presentation_id=pid).path,
            outline_path=request.url_for("stream_outline", presentation_id=pid).path,
        )

    @router.post("/presentations/generate")
    async def generate_presentation(
        body: JsonBody, request: Request, caller: CallerDep
    ) -> dict[str, Any]:
        """Generate a whole deck and answer `{presentation_id, path, edit_path}` when done;
        see `generate_wait_seconds` for callers behind short timeouts."""
        return await generate_and_wait(
            gateway,
            caller,
            body,
            status_path=lambda task_id: request.url_for("generation_status", task_id=task_id).path,
            async_path=request.url_for("generate_presentation_async").path,
            receive=request.receive,
        )

    @router.post("/presentations/generate/async", name="generate_presentation_async")
    async def generate_presentation_async(body: JsonBody, caller: CallerDep) -> dict[str, Any]:
        """Start a generation and answer its task at once; poll `status/{task_id}`."""
        return await start_task(gateway, caller, body)

    @router.get("/presentations/status/{task_id}", name="generation_status")
    async def generation_status(task_id: str, caller: CallerDep) -> Response:
        """Where an async generation stands."""
        await gateway.authorize(caller, resource("task", task_id))
        answer = await gateway.send(caller, status_call(task_id))
        await record_task(gateway, caller, json_object(answer))
        return _passed(answer.content)

    @router.get("/presentations/{presentation_id}")
    async def get_presentation(presentation_id: str, caller: CallerDep) -> Response:
        """The presentation with its slides."""
        pid = await owned(caller, presentation_id)
        call = UpstreamRequest("get", "GET", f"{API_PREFIX}/presentation/{segment(pid)}")
        return _passed((await gateway.send(caller, call)).content)

    @router.get("/presentations/{presentation_id}/export")
    async def export_presentation(
        presentation_id: str,
        caller: CallerDep,
        format: Annotated[Literal["pptx", "pdf"], Query()] = "pptx",
    ) -> Response:
        """The deck as a PPTX or PDF file, streamed from the upstream."""
        pid = await owned(caller, presentation_id)
        return await download(gateway, caller, pid, format)

    return router


def _passed(content: bytes) -> Response:
    return Response(content, media_type="application/json")
