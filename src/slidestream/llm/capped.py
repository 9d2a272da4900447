"""A cap on the LLM calls one process makes at once.

A burst of generations (many keys at once, or one admin) would otherwise open as many
provider requests as there are slides in flight, and a provider answers that with 429s
and failures. Past the cap a call waits its turn, so the burst queues instead of failing.
A streamed call holds its place until its stream ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slidestream.llm.base import LLMProvider, Message


class CappedProvider:
    """`provider` with at most `most` calls in flight."""

    def __init__(self, provider: LLMProvider, most: int) -> None:
        self.provider = provider
        self.name = provider.name
        self.model = provider.model
        self.most = most
        self._slots = asyncio.Semaphore(most)
        self.in_flight = 0
        self.waiting = 0

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._slots.release()

    async def stream_json(
        self, messages: list[Message], schema: dict[str, Any], schema_name: str
    ) -> AsyncIterator[str]:
        async with self._slot():
            async for delta in self.provider.stream_json(messages, schema, schema_name):
                yield delta

    async def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
        *,
        strict: bool = False,
    ) -> str:
        async with self._slot():
            return await self.provider.complete_json(messages, schema, schema_name, strict=strict)

    async def aclose(self) -> None:
        await self.provider.aclose()
