"""The provider interface every LLM backend implements.

Two calls cover the pipeline: a streamed structured answer (the outline, sent to clients
as it is written) and a complete structured answer (structure choice, slide content).
Both return raw text; parsing and schema validation belong to the generation layer, which
also decides when to ask the model to repair an answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


class LLMError(Exception):
    """A provider call failed for good (after retries). The message is shown to users."""

    def __init__(self, detail: str, *, retryable: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


class LLMStreamInterrupted(LLMError):
    """A streamed answer broke off after text had already been received."""


class LLMProvider(Protocol):
    name: str
    model: str

    def stream_json(
        self, messages: list[Message], schema: dict[str, Any], schema_name: str
    ) -> AsyncIterator[str]:
        """Stream the text of a JSON answer matching `schema`, delta by delta."""

    async def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
        *,
        strict: bool = False,
    ) -> str:
        """The whole text of a JSON answer matching `schema`."""

    async def aclose(self) -> None: ...
