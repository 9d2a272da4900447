"""Upstream event streams read straight off the socket.

A relayed frame is one upstream read and one client write; everything else is overhead.
Through httpx a read goes down four async generators, h11's pure-Python chunked decoding,
an anyio cancel scope and a pause/resume of the socket (two more system calls) per read:
measured on the benchmark machine, several times the CPU of the whole rest of the relay.
So the gateway opens event streams itself: one asyncio protocol per stream, the response
parsed by httptools (the C parser uvicorn[standard] already brings), the body handed to the
relay as it arrives. Plain calls and file downloads stay with httpx.

The request itself is still built by httpx (URL joining, query encoding, default headers),
and TLS uses httpx's context, so both paths send the same request. When the environment
configures an HTTP proxy, or httptools is missing, streams go through httpx too
(`HttpxStream`), with the same interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

try:
    import httptools
except ImportError:  # pragma: no cover - uvicorn[standard] installs it on CPython
    httptools = None  # type: ignore[assignment]

# Body bytes buffered for a relay that is not reading (a slow client) before the socket
# stops being read, so TCP pushes back on the upstream.
HIGH_WATER = 256 * 1024


class StreamCut(ConnectionError):
    """The upstream connection broke, or sent something that is not HTTP."""


class UpstreamStream:
    """What the relay needs of an open upstream response."""

    status_code: int
    headers: httpx.Headers

    async def read(self) -> bytes:
        """The next body bytes as they arrive; b"" at the end; raises OSError or
        httpx.HTTPError when the stream breaks."""
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class _Protocol(asyncio.Protocol):
    """One HTTP/1.1 response, parsed as it arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.headers_done: asyncio.Future[None] = loop.create_future()
        self.body: list[bytes] = []
        self.buffered = 0
        self.paused = False
        self.finished = False
        self.eof_ends_body = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(StreamCut(f"invalid HTTP from the upstream: {error}"))
            assert self.transport is not None
            self.transport.abort()
            return
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self.finished:
            return
        if self.headers_done.done() and self.eof_ends_body and exc is None:
            self.finished = True  # a body without length or chunks ends with the connection
            self._wake()
        else:
            self._fail(StreamCut("the upstream closed the connection mid-response"))

    # --- httptools callbacks -----------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        names = {name.lower() for name, _ in self.raw_headers}
        self.eof_ends_body = b"content-length" not in names and b"transfer-encoding" not in names
        if not self.headers_done.done():
            self.headers_done.set_result(None)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.buffered += len(body)
        self._wake()

    def on_message_complete(self) -> None:
        self.finished = True
        self._wake()
        if self.transport is not None:
            self.transport.close()  # one response per connection

    # --- the reader's side -------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        if not self.headers_done.done():
            self.headers_done.set_exception(error)
            self.headers_done.exception()  # retrieved: whoever waits gets it raised
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read(self) -> bytes:
        while not self.body:
            if self.finished:
                return b""
            if self.error is not None:
                raise self.error
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        body = self.body
        data = body[0] if len(body) == 1 else b"".join(body)
        body.clear()
        self.buffered = 0
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return data


class DirectStream(UpstreamStream):
    """An upstream response on a connection of its own, read off the socket."""

    def __init__(self, protocol: _Protocol, release: Any) -> None:
        self._protocol = protocol
        self._release = release
        self.status_code = protocol.parser.get_status_code()
        self.headers = httpx.Headers(protocol.raw_headers)
        encoding = self.headers.get("content-encoding", "identity").lower()
        # Identity was asked for; an upstream that compressed anyway is decoded.
        self._decoder = (
            zlib.decompressobj(zlib.MAX_WBITS | 32)
            if encoding in ("gzip", "x-gzip", "deflate")
            else None
        )
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise StreamCut(f"the upstream used a content encoding it cannot read: {encoding}")

    async def read(self) -> bytes:
        if self._decoder is None:
            return await self._protocol.read()
        while True:
            data = await self._protocol.read()
            try:
                decoded = self._decoder.decompress(data) if data else self._decoder.flush()
            except zlib.error as error:
                raise StreamCut(f"the upstream sent a corrupt compressed body: {error}") from None
            if decoded or not data:
                return decoded

    async def aclose(self) -> None:
        transport = self._protocol.transport
        if transport is not None and not transport.is_closing():
            transport.abort()  # the stream ends here; the upstream sees its client go
        release, self._release = self._release, None
        if release is not None:
            release()


async def open_direct(
    request: httpx.Request,
    *,
    connect_timeout: float,
    ssl_context: Any,
    release: Any,
) -> DirectStream:
    """Send `request` on a new connection and wait for the response's headers (the caller
    bounds the wait); `release` is called once when the stream is closed."""
    loop = asyncio.get_running_loop()
    url = request.url
    host = url.host
    tls = url.scheme == "https"
    port = url.port or (443 if tls else 80)
    try:
        async with asyncio.timeout(connect_timeout):
            transport, protocol = await loop.create_connection(
                lambda: _Protocol(loop),
                host,
                port,
                ssl=ssl_context if tls else None,
                server_hostname=host if tls else None,
            )
    except TimeoutError as error:
        raise httpx.ConnectTimeout("connecting to the upstream timed out") from error
    except OSError as error:
        raise httpx.ConnectError(str(error)) from error
    try:
        transport.write(_request_head(request))
        await protocol.headers_done
        return DirectStream(protocol, release)
    except BaseException:
        transport.abort()
        raise


def _request_head(request: httpx.Request) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    for name, value in request.headers.raw:
        if name.lower() == b"connection":
            continue
        if any(c in value or c in name for c in (b"\r", b"\n", b"\0")):
            raise httpx.LocalProtocolError("a header to the upstream contains a line break")
        lines.append(name + b": " + value)
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


class HttpxStream(UpstreamStream):
    """The same interface over an httpx streamed response (proxies, no httptools)."""

    def __init__(self, response: httpx.Response, release: Any) -> None:
        self._response = response
        self._release = release
        self.status_code = response.status_code
        self.headers = response.headers
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        self._chunks: AsyncIterator[bytes] = (
            response.aiter_bytes() if encoded else response.aiter_raw()
        ).__aiter__()

    async def read(self) -> bytes:
        try:
            while not (chunk := await self._chunks.__anext__()):
                pass
        except StopAsyncIteration:
            return b""
        return chunk

    async def aclose(self) -> None:
        with contextlib.suppress(httpx.HTTPError, OSError):
            await self._response.aclose()
        release, self._release = self._release, None
        if release is not None:
            release()


def available() -> bool:
    return httptools is not None
