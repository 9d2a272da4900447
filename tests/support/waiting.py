"""Waiting for a condition with a generous deadline (never asserting on elapsed time)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
DEADLINE = 60.0


async def wait_for(
    probe: Callable[[], Awaitable[T]] | Callable[[], T],
    accept: Callable[[T], bool],
    what: str,
    deadline: float = DEADLINE,
) -> T:
    """Call `probe` (sync or async) until `accept(result)`; fail naming `what` at the deadline."""
    give_up = time.monotonic() + deadline
    while True:
        result: Any = probe()
        value: T = await result if inspect.isawaitable(result) else result
        if accept(value):
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting until {what} (last value: {value!r})")
        await asyncio.sleep(0.02)
