"""Retry policy for provider calls: jittered exponential backoff on transient failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from slidestream.llm.base import LLMError

T = TypeVar("T")


def is_transient(error: BaseException) -> bool:
    return isinstance(error, LLMError) and error.retryable


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    initial: float,
    maximum: float,
) -> T:
    """Run `call`, retrying transient LLMErrors with full-jitter exponential backoff."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=initial, max=maximum),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await call()
    except RetryError as error:  # pragma: no cover - reraise=True re-raises the last error
        raise error.last_attempt.result() from error
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class RetryPolicy:
    """How a provider retries: at most `attempts` calls, waits growing from `initial`
    seconds up to `maximum`, each drawn at random below its bound (full jitter)."""

    attempts: int = 4
    initial: float = 0.5
    maximum: float = 20.0

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        return await with_retries(
            call, attempts=self.attempts, initial=self.initial, maximum=self.maximum
        )
