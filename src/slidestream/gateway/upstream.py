"""The upstream Presenton-compatible server, seen through one pooled HTTP client.

Every failure to get a usable answer becomes an `HTTPException` with a JSON `detail`:
4xx answers keep their status and detail (but a 401 is the gateway's own key
being refused: 502); 5xx answers, refused connections and timeouts
become 502, 503 or 504. The upstream's address never appears in a detail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Literal
from urllib.parse import quote

import httpx
from fastapi import HTTPException

from slidestream.gateway import wire
from slidestream.gateway.hooks import UpstreamRequest
from slidestream.gateway.wire import HttpxStream, UpstreamStream
from slidestream.settings import GatewaySettings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/ppt"
# The most of an upstream error body read to find its `detail`.
ERROR_BODY_BYTES = 64 * 1024
UNREACHABLE = "The presentation server is unreachable"
TIMED_OUT = "The presentation server did not answer in time"
BROKEN = "The connection to the presentation server failed"
BUSY = "The gateway has no free connection to the presentation server; try again"
TOKEN_REFUSED = "The presentation server refused the stream token"
TOKEN_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="slidestream", error="invalid_token"'}


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


class Upstream:
    """The upstream server: plain calls and downloads through one pooled
    `httpx.AsyncClient`; event streams each on a connection of their own (see `wire`), at
    most `max_upstream_connections` at once, so open streams never take the connections
    that creates, prepares and status polls need."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.client = self._client(settings)
        self.streams = asyncio.Semaphore(settings.max_upstream_connections)
        self.open_streams = 0  # event streams holding an upstream connection
        # Streams off the socket, unless a proxy is configured (httpx knows proxies).
        proxied = any(os.environ.get(v) or os.environ.get(v.upper()) for v in PROXY_VARIABLES)
        self.direct_streams = wire.available() and not proxied
        self._stream_client: httpx.AsyncClient | None = None
        self._ssl_context: Any = None

    @staticmethod
    def _client(settings: GatewaySettings) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=settings.upstream_url.rstrip("/"),
            timeout=httpx.Timeout(
                connect=settings.connect_timeout_seconds,
                read=settings.request_timeout_seconds,
                write=settings.request_timeout_seconds,
                pool=settings.connect_timeout_seconds,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_upstream_connections,
                max_keepalive_connections=min(100, settings.max_upstream_connections),
            ),
            follow_redirects=False,
            # One client serves every caller: a cookie the upstream sets in answer to one
            # caller must never be sent with another's requests. Nothing is kept.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._stream_client is not None:
            await self._stream_client.aclose()

    def build(
        self, call: UpstreamRequest, key: str | None, *, mode: Literal["json", "sse", "file"]
    ) -> httpx.Request:
        accept = {"json": "application/json", "sse": "text/event-stream", "file": "*/*"}[mode]
        headers = {"accept": accept, **call.headers}
        if mode != "json":
            # Relayed as they come: a compressed stream would make every frame wait for a
            # full buffer, and a file's length would no longer match its bytes.
            headers.setdefault("accept-encoding", "identity")
        if mode == "sse":
            headers.setdefault("cache-control", "no-cache")
        if key:
            headers["authorization"] = f"Bearer {key}"
        return self.client.build_request(
            call.method,
            call.path,
            params=dict(call.params),
            headers=headers,
            json=call.json,
        )

    async def send(self, call: UpstreamRequest, key: str | None) -> httpx.Response:
        """A plain call, read whole; a non-2xx answer raises `HTTPException`."""
        request = self.build(call, key, mode="json")
        try:
            response = await self.client.send(request)
        except httpx.HTTPError as error:
            raise transport_error(call, error) from error
        if response.is_success:
            return response
        raise answer_error(call, response.status_code, response.content, response.headers)

    async def open(self, call: UpstreamRequest, key: str | None) -> httpx.Response:
        """A download: returns once the upstream has answered with its headers; a non-2xx
        answer raises `HTTPException`. Close the response when done."""
        request = self.build(call, key, mode="file")
        try:
            async with asyncio.timeout(self.settings.request_timeout_seconds):
                response = await self.client.send(request, stream=True)
        except TimeoutError as error:
            raise HTTPException(504, TIMED_OUT) from error
        except httpx.HTTPError as error:
            raise transport_error(call, error) from error
        if response.is_success:
            return response
        try:
            body = await _read_some(response.aiter_bytes())
        except httpx.HTTPError as error:
            raise transport_error(call, error) from error
        finally:
            await response.aclose()
        raise answer_error(call, response.status_code, body, response.headers)

    async def open_stream(self, call: UpstreamRequest, key: str | None) -> UpstreamStream:
        """An event stream: returns once the upstream has answered with its headers
        (within `stream_open_timeout_seconds`); a non-2xx answer raises `HTTPException`.
        Close the stream when done. Once open it has no read timeout: silence is the
        upstream working, and the client gets heartbeats meanwhile."""
        request = self.build(call, key, mode="sse")
        try:
            async with asyncio.timeout(self.settings.connect_timeout_seconds):
                await self.streams.acquire()
        except TimeoutError as error:
            log.warning("gateway.upstream.busy route=%s", call.route)
            raise HTTPException(503, BUSY, headers={"Retry-After": "1"}) from error
        self.open_streams += 1
        release = self._release_stream
        try:
            async with asyncio.timeout(self.settings.stream_open_timeout_seconds):
                stream = await self._open_stream(request, release)
        except TimeoutError as error:
            release()
            raise HTTPException(504, TIMED_OUT) from error
        except (httpx.HTTPError, OSError) as error:
            release()
            raise transport_error(call, error) from error
        except BaseException:
            release()
            raise
        if 200 <= stream.status_code < 300:
            return stream
        try:
            body = await _read_some(_chunks(stream))
        except (httpx.HTTPError, OSError) as error:
            raise transport_error(call, error) from error
        finally:
            await stream.aclose()
        raise answer_error(call, stream.status_code, body, stream.headers)

    def _release_stream(self) -> None:
        self.open_streams -= 1
        self.streams.release()

    async def _open_stream(self, request: httpx.Request, release: Any) -> UpstreamStream:
        if self.direct_streams:
            if request.url.scheme == "https" and self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            return await wire.open_direct(
                request,
                connect_timeout=self.settings.connect_timeout_seconds,
                ssl_context=self._ssl_context,
                release=release,
            )
        if self._stream_client is None:
            self._stream_client = self._client(self.settings)
        timeout = self._stream_client.timeout
        request.extensions["timeout"] = httpx.Timeout(
            connect=timeout.connect, read=None, write=timeout.write, pool=timeout.pool
        ).as_dict()
        response = await self._stream_client.send(request, stream=True)
        return HttpxStream(response, release)


async def _chunks(stream: UpstreamStream) -> AsyncIterator[bytes]:
    while chunk := await stream.read():
        yield chunk


async def _read_some(parts: AsyncIterator[bytes]) -> bytes:
    body = b""
    async for part in parts:
        body += part
        if len(body) >= ERROR_BODY_BYTES:
            break
    return body[:ERROR_BODY_BYTES]


def transport_error(call: UpstreamRequest, error: httpx.HTTPError | OSError) -> HTTPException:
    """A request that got no answer: refused, timed out, cut, or no pooled connection."""
    log.warning("gateway.upstream.failed route=%s error=%r", call.route, error)
    if isinstance(error, httpx.PoolTimeout):
        return HTTPException(503, BUSY, headers={"Retry-After": "1"})
    if isinstance(error, httpx.TimeoutException):
        return HTTPException(504, TIMED_OUT)
    if isinstance(error, httpx.ConnectError):
        return HTTPException(502, UNREACHABLE)
    return HTTPException(502, BROKEN)


def answer_error(
    call: UpstreamRequest, status: int, body: bytes, headers: httpx.Headers
) -> HTTPException:
    """An upstream answer that is not a success, as the gateway's own answer."""
    detail = error_detail(body)
    passed = {"Retry-After": headers["retry-after"]} if "retry-after" in headers else None
    if status == 401 and call.params.get("token"):
        # The upstream refused the caller's stream token (expired, its key revoked): the
        # caller's to fix. Its detail is passed on unless it would repeat the token.
        token = call.params["token"]
        said = detail if isinstance(detail, str) and token not in detail else None
        log.info("gateway.upstream.token_refused route=%s", call.route)
        return HTTPException(401, said or TOKEN_REFUSED, headers=TOKEN_CHALLENGE)
    if status == 401:
        # The upstream refused the gateway's key: the caller's credentials are not at fault.
        log.error("gateway.upstream.unauthorized route=%s detail=%r", call.route, detail)
        return HTTPException(502, "The presentation server refused the gateway's credentials")
    if 400 <= status < 500:
        return HTTPException(status, detail or f"The presentation server answered {status}", passed)
    log.warning("gateway.upstream.error route=%s status=%s detail=%r", call.route, status, detail)
    mapped = status if status in (502, 503, 504) else 502
    reason = f"The presentation server failed ({status})"
    return HTTPException(mapped, f"{reason}: {detail}" if detail else reason, passed)


def error_detail(body: bytes) -> Any:
    """The `detail` of a JSON error body (a string, or FastAPI's list of problems), or the
    start of a plain-text one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", errors="replace").strip()
        return text[:500] or None
    if isinstance(parsed, dict) and parsed.get("detail") is not None:
        return parsed["detail"]
    return None


def segment(value: str) -> str:
    """An id as one path segment upstream (a `?` or `/` in it cannot change the URL)."""
    return quote(value, safe="")


def json_object(response: httpx.Response) -> dict[str, Any]:
    """A successful upstream answer's JSON object; anything else is the upstream's fault."""
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise HTTPException(502, "The presentation server sent an answer that is not a JSON object")
    return parsed
