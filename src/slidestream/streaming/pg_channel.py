"""The scale-out notification channel: PostgreSQL LISTEN/NOTIFY.

Every process holds one connection that LISTENs on one PostgreSQL channel; a publish is a
`pg_notify` carrying the topic, and each process wakes its own subscribers to that topic.
Notifications carry no data (decision 0002), so a lost one costs only latency: when the
listening connection drops (PostgreSQL restarted, network cut), every local subscriber is
woken once the connection is back, and readers re-read the database as they always do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import asyncpg

from slidestream.streaming.channels import InProcessChannel

log = logging.getLogger(__name__)

PG_CHANNEL = "slidestream"
# NOTIFY payloads are limited to 8000 bytes; topics are short ("presentation:<uuid>").
MAX_TOPIC_BYTES = 1000
PUBLISH_TIMEOUT_SECONDS = 5.0


def _setter(event: asyncio.Event) -> Any:
    return lambda _connection: event.set()


class PostgresChannel:
    """`NotificationChannel` across processes and machines, through PostgreSQL."""

    def __init__(self, dsn: str, *, reconnect_max_seconds: float = 5.0) -> None:
        self._dsn = dsn
        self._local = InProcessChannel()
        self._reconnect_max = reconnect_max_seconds
        self._listener: asyncio.Task[None] | None = None
        self._publisher: Any = None
        self._publish_lock = asyncio.Lock()
        self._listening = asyncio.Event()

    # --- NotificationChannel ------------------------------------------------------------

    async def publish(self, topic: str) -> None:
        """Announce a change to every process. Never raises: a notification that cannot be
        sent is only a delay, because readers also re-read on their own."""
        payload = topic[:MAX_TOPIC_BYTES]
        try:
            async with self._publish_lock:
                # Bounded: a silently dead peer must not hold every announcement of this
                # process behind the lock until TCP gives up.
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                    if self._publisher is None or self._publisher.is_closed():
                        self._publisher = await asyncpg.connect(self._dsn)
                    await self._publisher.execute("SELECT pg_notify($1, $2)", PG_CHANNEL, payload)
        except Exception as error:  # an outage must not fail the writer that announces
            log.warning("notify.failed topic=%s error=%s", topic, error.__class__.__name__)
            await self._drop_publisher()
            # This process's own readers still hear it.
            await self._local.publish(topic)

    def subscribe(self, topic: str) -> Any:
        return self._local.subscribe(topic)

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen_forever(), name="pg-listen")
        # Wait for the first LISTEN so nothing published after start() is missed; if the
        # database is not up yet, go on and keep trying in the background.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self._listening.wait()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        await self._drop_publisher()

    @property
    def connected(self) -> bool:
        return self._listening.is_set()

    # --- internals ----------------------------------------------------------------------

    async def _drop_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            publisher.terminate()  # no goodbye to a peer that may not answer

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._local.publish_now(payload)

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            connection: Any = None
            lost = asyncio.Event()
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS * 2):
                    connection = await asyncpg.connect(self._dsn)
                connection.add_termination_listener(_setter(lost))
                await connection.add_listener(PG_CHANNEL, self._on_notification)
                self._listening.set()
                if failures:
                    log.info("notify.reconnected")
                    # Anything announced while we were deaf: every reader re-reads.
                    self._local.publish_all()
                failures = 0
                await self._watch(connection, lost)
            except asyncio.CancelledError:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
                raise
            except Exception as error:
                if failures == 0:
                    log.warning("notify.disconnected error=%s", error.__class__.__name__)
            self._listening.clear()
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.terminate()
            failures += 1
            delay = min(self._reconnect_max, 0.2 * 2 ** min(failures, 6))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _watch(self, connection: Any, lost: asyncio.Event) -> None:
        """Return when the listening connection is gone. A dead peer that never closes
        the socket is caught by a periodic round trip."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._reconnect_max):
                    await lost.wait()
            if lost.is_set() or connection.is_closed():
                return
            async with asyncio.timeout(self._reconnect_max):
                await connection.execute("SELECT 1")
