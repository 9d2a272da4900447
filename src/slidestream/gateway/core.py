"""`Gateway`: what lives as long as the gateway (settings, hooks, the upstream client, the
ownership store, streams being drained) and the steps every route shares: authenticate,
authorize, call upstream, relay a stream."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
from fastapi import HTTPException, Request
from starlette.responses import Response

from slidestream.gateway.hooks import (
    Caller,
    GatewayHooks,
    Resource,
    ResourceKind,
    UpstreamRequest,
)
from slidestream.gateway.ownership import OwnershipStore, SqlOwnershipStore
from slidestream.gateway.relay import Relay, ResumePolicy
from slidestream.gateway.responses import RelayResponse
from slidestream.gateway.tokens import StreamTokens
from slidestream.gateway.upstream import Upstream
from slidestream.gateway.wire import UpstreamStream
from slidestream.settings import GatewaySettings

log = logging.getLogger(__name__)

# What the upstream itself answers for an unknown id: a stranger learns nothing more.
NOT_FOUND = {
    "presentation": "Presentation not found",
    "task": "No presentation generation task found",
}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="slidestream"'}


def resource(kind: ResourceKind, raw_id: str) -> Resource:
    """A resource with its id in one spelling (a presentation's UUID in canonical form), so
    ownership lookups never miss on letter case."""
    if kind == "presentation":
        try:
            return Resource(kind, str(uuid.UUID(raw_id)))
        except ValueError:
            pass
    return Resource(kind, raw_id)


class Gateway:
    """The gateway's runtime; `build_router` (in `routes.py`) exposes it over HTTP.

    The upstream client and the store are created at once and work without a lifespan
    (for a gateway mounted as a sub-application, whose lifespan does not run); `lifespan`
    closes them and stops streams still being drained."""

    def __init__(
        self,
        settings: GatewaySettings,
        hooks: GatewayHooks,
        *,
        store: OwnershipStore | None = None,
    ) -> None:
        self.settings = settings
        self.hooks = hooks
        self.store = (
            store if store is not None else SqlOwnershipStore(settings.resolved_database_url)
        )
        self.upstream = Upstream(settings)
        self.tokens = StreamTokens(self.store)
        self.drains: set[asyncio.Task[None]] = set()
        self.waiting = 0  # synchronous generates waiting for their deck
        self.resume_policy = ResumePolicy(
            attempts=settings.resume_attempts,
            backoff=settings.resume_backoff_seconds,
            max_backoff=settings.resume_backoff_max_seconds,
        )

    @asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        for task in list(self.drains):
            task.cancel()
        await asyncio.gather(*self.drains, return_exceptions=True)
        await self.upstream.aclose()
        await self.store.aclose()

    # --- who may do what -----------------------------------------------------------------

    async def authenticate(self, request: Request) -> Caller:
        caller = await self.hooks.authenticate(request)
        if caller is None:
            raise HTTPException(401, "Not authenticated", headers=CHALLENGE)
        return caller

    async def authorize(self, caller: Caller, resource: Resource) -> None:
        """404 (as the upstream would say it) unless the caller may use the resource."""
        if self.hooks.authorize is not None:
            allowed = await self.hooks.authorize(caller, resource)
        else:
            allowed = await self.store.owner_of(resource) == caller.id
        if not allowed:
            raise HTTPException(404, NOT_FOUND[resource.kind])

    async def record(self, caller: Caller, kind: ResourceKind, raw_id: object) -> None:
        """Remember that `caller` created this presentation or task (an id the upstream
        gave; anything that is not a non-empty string is ignored)."""
        if isinstance(raw_id, str) and raw_id:
            await self.store.record(resource(kind, raw_id), caller.id)

    # --- upstream calls ------------------------------------------------------------------

    async def prepared(
        self, caller: Caller, call: UpstreamRequest, *, keyed: bool = True
    ) -> tuple[UpstreamRequest, str | None]:
        """The call after the host's rewrite, and the upstream key for this caller (none
        when not `keyed`)."""
        if self.hooks.rewrite is not None:
            call = await self.hooks.rewrite(caller, call)
        if not keyed:
            return call, None
        if self.hooks.upstream_key is not None:
            key = await self.hooks.upstream_key(caller)
        else:
            key = self.settings.upstream_keys.get(caller.id, self.settings.upstream_api_key)
        return call, key

    async def send(self, caller: Caller, call: UpstreamRequest) -> httpx.Response:
        """A plain upstream call for this caller, read whole."""
        call, key = await self.prepared(caller, call)
        return await self.upstream.send(call, key)

    async def open_file(self, caller: Caller, call: UpstreamRequest) -> httpx.Response:
        """An upstream download for this caller, body not yet read; close it when done."""
        call, key = await self.prepared(caller, call)
        return await self.upstream.open(call, key)

    async def relay(
        self,
        caller: Caller,
        call: UpstreamRequest,
        label: str,
        *,
        upstream_token: str | None = None,
    ) -> Response:
        """Open an upstream stream and relay it: errors before it starts are JSON answers,
        everything after is frames. With `upstream_token` (a stream opened by a stream
        token) the upstream gets that as `?token=` instead of the caller's key, on every
        reconnection too."""
        call, key = await self.prepared(caller, call, keyed=upstream_token is None)
        if upstream_token is not None:
            # After the rewrite hook: the host's code never sees the token, nor drops it.
            call = replace(call, params={**call.params, "token": upstream_token})
        stream = await self.upstream.open_stream(call, key)
        if stream.status_code == 204:
            await stream.aclose()  # a resume after the terminal frame: nothing more to send
            return Response(status_code=204)
        if not stream.headers.get("content-type", "").startswith("text/event-stream"):
            await stream.aclose()
            raise HTTPException(502, "The presentation server did not answer with an event stream")
        via = "token" if upstream_token is not None else "key"
        log.info("gateway.stream.open stream=%s caller=%s via=%s", label, caller.id, via)

        async def reopen(last_event_id: str) -> UpstreamStream:
            # The same request (its token too), positioned after the last frame the client
            # was sent.
            headers = {k: v for k, v in call.headers.items() if k.lower() != "last-event-id"}
            headers["Last-Event-ID"] = last_event_id
            return await self.upstream.open_stream(replace(call, headers=headers), key)

        return RelayResponse(
            Relay(stream, label, reopen=reopen, policy=self.resume_policy),
            heartbeat_seconds=self.settings.heartbeat_seconds,
            on_client_gone=self._client_gone,
        )

    def _client_gone(self, relay: Relay) -> None:
        if not self.settings.drain_after_disconnect:
            relay.close()
            return
        task = relay.detach(self.settings.drain_timeout_seconds)
        self.drains.add(task)
        task.add_done_callback(self.drains.discard)

    @property
    def draining(self) -> int:
        """Streams whose client left that are being read to their end."""
        return len(self.drains)
