"""What the host application plugs into the gateway: who the caller is, which upstream key
they use, what they may see, and how their requests are rewritten."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import Request

ResourceKind = Literal["presentation", "task"]


@dataclass(frozen=True)
class Caller:
    """An authenticated caller; `id` is what ownership is recorded under, `claims` whatever
    the host's `authenticate` wants its other hooks to see (roles, a tenant, ...)."""

    id: str
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """Something upstream that one caller created: a presentation or an async task."""

    kind: ResourceKind
    id: str


@dataclass(frozen=True)
class UpstreamRequest:
    """One request the gateway is about to send upstream; `route` names the gateway route
    it serves (`create`, `prepare`, `outline_stream`, `stream`, `generate_async`, `status`,
    `get`, `export`, `stream_token`, ...). `path` is relative to the upstream root."""

    route: str
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None


Authenticate = Callable[[Request], Awaitable[Caller | None]]
UpstreamKey = Callable[[Caller], Awaitable[str | None]]
Authorize = Callable[[Caller, Resource], Awaitable[bool]]
Rewrite = Callable[[Caller, UpstreamRequest], Awaitable[UpstreamRequest]]


@dataclass(frozen=True)
class GatewayHooks:
    """The host's side of the gateway.

    - `authenticate`: the caller of a request, or None to answer 401 (before any upstream
      call).
    - `upstream_key`: the key sent upstream for this caller; default: the configured
      `upstream_api_key`.
    - `authorize`: may this caller use this presentation or task? Default: only the caller
      that created it through the gateway (anyone else gets 404).
    - `rewrite`: change or enrich a request before it goes upstream; default: as it is.
    """

    authenticate: Authenticate
    upstream_key: UpstreamKey | None = None
    authorize: Authorize | None = None
    rewrite: Rewrite | None = None


def api_key_authenticator(keys: Mapping[str, str], *, allow_query: bool = False) -> Authenticate:
    """Callers identified by API key: `Authorization: Bearer <key>`, `X-API-Key: <key>`, or
    (when `allow_query`, for EventSource) an `api_key` query parameter. `keys` maps caller
    ids to their keys."""
    known = [(caller, key.encode()) for caller, key in keys.items() if key]

    async def authenticate(request: Request) -> Caller | None:
        presented = _presented_key(request, allow_query)
        if not presented:
            return None
        found = None
        for caller, key in known:
            # Compare against every key, so the time taken does not tell which one matched.
            if hmac.compare_digest(key, presented.encode()):
                found = caller
        return Caller(found) if found is not None else None

    return authenticate


def _presented_key(request: Request, allow_query: bool) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if request.headers.get("x-api-key"):
        return request.headers["x-api-key"].strip()
    if allow_query:
        return request.query_params.get("api_key")
    return None
