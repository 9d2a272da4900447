"""Notification channels: "something changed for presentation X" wake-ups.

A notification carries no data; the database is the truth and a woken reader re-reads it.
That keeps the in-process channel trivial and lets a cross-process channel (PostgreSQL
LISTEN/NOTIFY, Redis) implement the same two methods.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import TracebackType
from typing import Protocol


def presentation_topic(presentation_id: object) -> str:
    return f"presentation:{presentation_id}"


class Subscription(Protocol):
    async def wait(self, within: float) -> bool:
        """Wait for a notification; True if one came (since the last wait), False on timeout."""

    def close(self) -> None: ...

    def __enter__(self) -> Subscription: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class NotificationChannel(Protocol):
    async def publish(self, topic: str) -> None: ...

    def subscribe(self, topic: str) -> Subscription: ...


class _LocalSubscription:
    __slots__ = ("_channel", "_event", "_topic")

    def __init__(self, channel: InProcessChannel, topic: str) -> None:
        self._channel = channel
        self._topic = topic
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, within: float) -> bool:
        # `asyncio.timeout`, not `wait_for`: on Python 3.11, `wait_for` drops a cancel
        # that arrives as the event is set, and the cancelled caller would run on.
        try:
            async with asyncio.timeout(within):
                await self._event.wait()
        except TimeoutError:
            return False
        # Cleared after waking and before the caller re-reads, so a notification that
        # arrives during the re-read is never lost: it sets the event again.
        self._event.clear()
        return True

    def close(self) -> None:
        self._channel._remove(self._topic, self)

    def __enter__(self) -> _LocalSubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class InProcessChannel:
    """The embedded deployment's channel: subscribers in this process only."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[_LocalSubscription]] = defaultdict(set)

    async def publish(self, topic: str) -> None:
        self.publish_now(topic)

    def publish_now(self, topic: str) -> None:
        for subscription in tuple(self._subscribers.get(topic, ())):
            subscription.notify()

    def publish_all(self) -> None:
        """Wake every subscriber (after notifications may have been missed)."""
        for subscribers in tuple(self._subscribers.values()):
            for subscription in tuple(subscribers):
                subscription.notify()

    def subscribe(self, topic: str) -> _LocalSubscription:
        subscription = _LocalSubscription(self, topic)
        self._subscribers[topic].add(subscription)
        return subscription

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    def _remove(self, topic: str, subscription: _LocalSubscription) -> None:
        subscribers = self._subscribers.get(topic)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._subscribers[topic]
