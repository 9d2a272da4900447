"""The gateway's own reading of upstream event streams, against raw sockets that answer
exactly what each test needs (bodies in chunks, delimited by the connection's end,
compressed, cut short)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from slidestream.gateway.wire import DirectStream, StreamCut, open_direct

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
EVENTS = b'id: d1:0\nevent: response\ndata: {"type": "chunk", "chunk": "x"}\n\n'


@asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server that reads one request head (kept in the list) and runs `answer`."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            await answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client gave up first
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", heads


async def _open(url: str, released: list[bool], **headers: str) -> DirectStream:
    request = httpx.Request("GET", f"{url}/stream", headers=headers)
    return await open_direct(
        request, connect_timeout=5, ssl_context=None, release=lambda: released.append(True)
    )


async def _read_all(stream: DirectStream) -> bytes:
    parts = []
    while part := await stream.read():
        parts.append(part)
    return b"".join(parts)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"


async def test_a_chunked_stream_is_read_to_its_end() -> None:
    async def answer(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD + b"transfer-encoding: chunked\r\n\r\n" + _chunk(EVENTS))
        await writer.drain()
        writer.write(_chunk(EVENTS) + b"0\r\n\r\n")

    released: list[bool] = []
    async with raw_server(answer) as (url, heads):
        stream = await _open(url, released, **{"Last-Event-ID": "d1:0"})
        assert stream.status_code == 200
        assert stream.headers["content-type"] == "text/event-stream"
        assert await _read_all(stream) == EVENTS * 2
        await stream.aclose()
        await stream.aclose()
    assert released == [True]  # once, however often it is closed
    assert b"GET /stream HTTP/1.1\r\n" in heads[0]
    assert b"Last-Event-ID: d1:0\r\n" in heads[0] and b"Connection: close\r\n" in heads[0]


async def test_a_body_delimited_by_the_connection_ends_cleanly() -> None:
    async def answer(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD + b"\r\n" + EVENTS)

    async with raw_server(answer) as (url, _):
        stream = await _open(url, [])
        assert await _read_all(stream) == EVENTS


async def test_a_chunked_body_cut_short_is_a_cut() -> None:
    async def answer(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD + b"transfer-encoding: chunked\r\n\r\n" + _chunk(EVENTS))

    async with raw_server(answer) as (url, _):
        stream = await _open(url, [])
        assert await stream.read() == EVENTS
        with pytest.raises(StreamCut):
            await stream.read()


async def test_a_compressed_stream_is_decoded() -> None:
    body = gzip.compress(EVENTS * 3)

    async def answer(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = HEAD + b"content-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n"
        writer.write(head + _chunk(body[:10]) + _chunk(body[10:]) + b"0\r\n\r\n")

    async with raw_server(answer) as (url, _):
        stream = await _open(url, [])
        assert await _read_all(stream) == EVENTS * 3


async def test_a_hang_up_before_the_headers_is_a_cut_and_frees_nothing_twice() -> None:
    async def answer(_r: asyncio.StreamReader, _w: asyncio.StreamWriter) -> None:
        return None

    released: list[bool] = []
    async with raw_server(answer) as (url, _):
        with pytest.raises(StreamCut):
            await _open(url, released)
    assert released == []  # the caller releases what it reserved when opening fails


async def test_a_header_with_a_line_break_is_never_sent() -> None:
    async def answer(_r: asyncio.StreamReader, _w: asyncio.StreamWriter) -> None:
        return None

    async with raw_server(answer) as (url, heads):
        with pytest.raises(httpx.LocalProtocolError):
            await _open(url, [], **{"Last-Event-ID": "x\r\nX-Injected: 1"})
    assert heads == []
