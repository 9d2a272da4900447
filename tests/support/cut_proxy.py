"""A loopback TCP proxy a test can cut: the network between a client and a server, under the
test's control.

`cut()` drops every open connection at once (a lost network mid-stream), `block()` refuses
new connections until `restore()` (the network stays down), and `connections` counts the
connections accepted so far (how many times a client reconnected). It forwards bytes and
nothing else, so what the client sees is exactly what the server sent until the cut.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from tests.support.servers import free_port

CHUNK = 64 * 1024


class CutProxy:
    def __init__(self, target_url: str) -> None:
        target = urlsplit(target_url)
        self.target_host = target.hostname or "127.0.0.1"
        self.target_port = target.port or 80
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._blocked = False
        self._open: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> CutProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def cut(self) -> None:
        """Drop every open connection, both ways, as a lost network would."""
        self._call(self._drop_all())

    def block(self) -> None:
        """Cut every open connection and refuse new ones until `restore()`."""
        self._blocked = True
        self.cut()

    def restore(self) -> None:
        self._blocked = False

    @property
    def open_connections(self) -> int:
        return len(self._open) // 2

    def _call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop_all()
        # Connection handlers still waiting (on an upstream connect, say) end with the proxy.
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _drop_all(self) -> None:
        for writer in list(self._open):
            transport = writer.transport
            if not transport.is_closing():
                transport.abort()
        self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        if self._blocked:
            writer.transport.abort()
            return
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        for end in (writer, up_writer):
            self._open.discard(end)
            if not end.transport.is_closing():
                end.transport.abort()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(CHUNK):
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            # The other side was cut: end this side too, as a dead network would.
            sink.transport.abort()
            return
        # A clean end (the peer closed): pass it on after the bytes already written.
        if not sink.transport.is_closing():
            sink.close()


@contextmanager
def cut_proxy(target_url: str) -> Iterator[CutProxy]:
    proxy = CutProxy(target_url).start()
    try:
        yield proxy
    finally:
        proxy.stop()
