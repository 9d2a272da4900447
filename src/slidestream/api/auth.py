"""Authentication before anything else: a plain ASGI middleware that answers 401 before a
route is matched or a body is read, and puts the caller's `Access` in the request scope.

- With keys off (see `Settings.keys_required`), every request gets `OPEN` access.
- `/api/...` needs `Authorization: Bearer <key>`. The two stream endpoints also take a
  deck-scoped `?token=` (browsers' `EventSource` cannot send headers).
- The web app's page and files, `/health`, fonts, icons, images and the API's schema stay
  public: they hold nothing of any caller's.
- A key over its request rate gets 429 with `Retry-After` here, before any work.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import uuid
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from slidestream.access import OPEN, Access, KeyStore
from slidestream.api.openapi import Document, amend_openapi, operations
from slidestream.errors import LimitExceeded, SlidestreamError, Unauthorized
from slidestream.settings import is_loopback

ACCESS_SCOPE_KEY = "slidestream.access"
# Public: the page, its files, health, the schema. Nothing in them is any caller's.
_PUBLIC_PATHS = frozenset({"/api/web/fonts.css"})
STREAM_PATH = re.compile(r"^/api/v1/ppt/(?:outlines/stream|presentation/stream)/([^/]+)/?$")
# An access no route accepts: a public path's requests carry it, so a route mounted there
# by mistake shows nothing.
NOBODY = Access(owner=None, everything=False)


REACHED_BEYOND_LOOPBACK = (
    "This server runs without API keys because its settings say it listens on loopback "
    "only, but this request reached it on another address. Set SLIDESTREAM_HOST to the "
    "address it listens on (or SLIDESTREAM_AUTH=keys) and create a key with `slidestream "
    "keys create NAME`"
)


def needs_key(path: str) -> bool:
    return path.startswith("/api/") and path not in _PUBLIC_PATHS


class RequestRate:
    """Requests per key per minute, counted in this process (a moving window)."""

    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def admit(self, owner: str) -> None:
        if self.item is None or self.limiter.hit(self.item, owner):
            return
        reset = self.limiter.get_window_stats(self.item, owner).reset_time
        raise LimitExceeded(
            f"Too many requests: this key may make {self.item.amount} per minute",
            retry_after=max(1.0, reset - time.time()),
        )


class OpenStreams:
    """Streams each key holds open in this process, up to `most` (0 = no limit)."""

    RETRY_SECONDS = 5

    def __init__(self, most: int) -> None:
        self.most = most
        self.open: dict[str, int] = {}

    def acquire(self, owner: str) -> None:
        count = self.open.get(owner, 0)
        if self.most and count >= self.most:
            raise LimitExceeded(
                f"This key has {count} streams open (the limit is {self.most}); close one first",
                retry_after=self.RETRY_SECONDS,
            )
        self.open[owner] = count + 1

    def release(self, owner: str) -> None:
        count = self.open.get(owner, 0) - 1
        if count > 0:
            self.open[owner] = count
        else:
            self.open.pop(owner, None)


class Authentication:
    """The middleware; `keys` is None when the server runs without keys."""

    def __init__(
        self,
        app: ASGIApp,
        keys: KeyStore | None,
        rate: RequestRate,
        streams: OpenStreams,
        *,
        loopback_only: bool = False,
    ) -> None:
        self.app = app
        self.keys = keys
        # Keys are off because the settings say the server listens on loopback only: a
        # request that arrived on another local address proves otherwise (uvicorn started
        # with its own `--host`, say), and is refused instead of served without a key.
        self.loopback_only = loopback_only
        self.rate = rate
        self.streams = streams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if self.keys is None and self.loopback_only and needs_key(path):
            server = scope.get("server")
            if server is not None and _is_other_address(str(server[0])):
                await _reject(Unauthorized(REACHED_BEYOND_LOOPBACK), send)
                return
        if self.keys is None:
            scope[ACCESS_SCOPE_KEY] = OPEN
        elif not needs_key(path):
            scope[ACCESS_SCOPE_KEY] = NOBODY
        else:
            counted: str | None = None
            stream = STREAM_PATH.match(path)
            try:
                access = await self._authenticate(scope, self.keys, stream)
                if access.limited and access.owner is not None:
                    self.rate.admit(access.owner)
                    if stream:
                        self.streams.acquire(access.owner)
                        counted = access.owner
            except SlidestreamError as error:
                await _reject(error, send)
                return
            scope[ACCESS_SCOPE_KEY] = access
            try:
                await self.app(scope, receive, send)
            finally:
                if counted is not None:
                    self.streams.release(counted)
            return
        await self.app(scope, receive, send)

    async def _authenticate(
        self, scope: Scope, keys: KeyStore, stream: re.Match[str] | None
    ) -> Access:
        """The caller's access from its key, or (on a stream path, `stream`) its token."""
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                raise Unauthorized(
                    "Send the API key as Authorization: Bearer <key>", error="invalid_request"
                )
            return await keys.authenticate(credentials.strip())
        token = _query_token(scope) if stream else None
        if stream and token:
            try:
                presentation_id = uuid.UUID(stream.group(1))
            except ValueError:
                raise Unauthorized("Invalid stream token", error="invalid_token") from None
            return await keys.verify(token, presentation_id)
        raise Unauthorized("An API key is required: send Authorization: Bearer <key>")


def route_path(scope: Scope) -> str:
    """The path the router matches: without the `root_path` a proxy mounted the app under
    (uvicorn puts it in front of `path`), so both always judge the same path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


def _is_other_address(host: str) -> bool:
    """Whether the server's side of a connection is an IP address other than loopback
    (a server only ever reports addresses; anything else tells nothing)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not is_loopback(host)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _query_token(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query).get("token")
    return values[-1] if values else None


async def _reject(error: SlidestreamError, send: Send) -> None:
    body = json.dumps({"detail": error.detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    for name, value in (getattr(error, "headers", None) or {}).items():
        headers.append((name.lower().encode(), value.encode()))
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def request_access(request: Request) -> Access:
    """The caller's access, as the middleware found it (fails closed without it)."""
    access = request.scope.get(ACCESS_SCOPE_KEY)
    if not isinstance(access, Access):
        raise RuntimeError("the authentication middleware is not installed")
    if access is NOBODY:
        # A route that serves callers' data was reached by a path the middleware took for
        # a public one: refuse rather than serve it to nobody in particular.
        raise Unauthorized("An API key is required: send Authorization: Bearer <key>")
    return access


AccessDep = Annotated[Access, Depends(request_access)]


UNAUTHORIZED = {"description": "No valid API key (or stream token): `detail` says why"}
TOO_MANY = {"description": "A per-key limit is reached; `Retry-After` says when to retry"}


def document_keys(app: FastAPI) -> None:
    """Declare in the OpenAPI document what a server that requires keys asks for: a bearer
    key on every `/api` operation (or a stream token on the two streams), and the 401 and
    429 they can answer. A server without keys declares neither, since it asks for none."""
    amend_openapi(app, _declare_keys)


def _declare_keys(document: Document) -> None:
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["apiKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `slidestream keys create`",
    }
    schemes["streamToken"] = {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "From `POST /api/v1/ppt/presentation/stream_token/{id}`",
    }
    for path, operation in operations(document):
        if not needs_key(path):
            continue
        security: list[dict[str, list[str]]] = [{"apiKey": []}]
        if STREAM_PATH.match(path.replace("{id}", "x")):
            security.append({"streamToken": []})
        operation["security"] = security
        responses = operation.setdefault("responses", {})
        responses.setdefault("401", dict(UNAUTHORIZED))
        responses.setdefault("429", dict(TOO_MANY))
