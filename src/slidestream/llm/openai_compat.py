"""OpenAI-compatible chat completions: OpenAI, Ollama, vLLM, llama.cpp, LM Studio, ...

Structured output goes out as `response_format: json_schema` (named `ResponseSchema`, as
Presenton sends it) or, with `TOOL_CALLS=true`, as a function tool of that name whose
arguments are the answer. The SDK's own retries are off: `llm.retry` owns the policy so
every provider retries the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI

from slidestream.llm.base import LLMError, LLMStreamInterrupted, Message
from slidestream.llm.retry import with_retries

SCHEMA_NAME = "ResponseSchema"
TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's strict mode wants every object closed and every property required."""

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            node = {key: visit(value) for key, value in node.items()}
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"].keys())
            return node
        if isinstance(node, list):
            return [visit(item) for item in node]
        return node

    result: dict[str, Any] = visit(schema)
    return result


def describe_error(provider: str, error: Exception) -> LLMError:
    """Map an SDK/transport error to a readable, classified LLMError."""
    if isinstance(error, openai.APITimeoutError):
        return LLMError(f"{provider} API error: the request timed out", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return LLMError(f"{provider} API error: could not connect ({error})", retryable=True)
    if isinstance(error, openai.APIStatusError):
        message = _error_message(error)
        return LLMError(
            f"{provider} API error: Error code: {error.status_code} - {message}",
            retryable=error.status_code in TRANSIENT_STATUS,
        )
    if isinstance(error, httpx.HTTPError):
        return LLMError(f"{provider} API error: {error}", retryable=True)
    return LLMError(f"{provider} API error: {error}")


def _error_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return error.message


class OpenAICompatibleProvider:
    """An LLMProvider speaking the OpenAI chat completions protocol."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str | None,
        api_key: str,
        model: str,
        timeout: float,
        max_attempts: int,
        backoff_initial: float,
        backoff_max: float,
        tool_calls: bool = False,
        disable_thinking: bool = False,
    ) -> None:
        self.name = name
        self.model = model
        self.tool_calls = tool_calls
        self.disable_thinking = disable_thinking
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout
        )

    def _request(
        self, messages: list[Message], schema: dict[str, Any], strict: bool
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        if self.tool_calls:
            request["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": SCHEMA_NAME,
                        "description": "Provide the answer in this shape.",
                        "parameters": schema,
                    },
                }
            ]
        else:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": SCHEMA_NAME,
                    "strict": strict,
                    "schema": strict_schema(schema) if strict else schema,
                },
            }
        if self.disable_thinking:
            request["extra_body"] = {"enable_thinking": False}
        return request

    async def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
        *,
        strict: bool = False,
    ) -> str:
        request = self._request(messages, schema, strict)

        async def call() -> str:
            try:
                response = await self._client.chat.completions.create(**request)
            except (openai.OpenAIError, httpx.HTTPError) as error:
                raise describe_error(self.name, error) from error
            if not response.choices:
                raise LLMError(f"{self.name} API error: the answer had no choices", retryable=True)
            message = response.choices[0].message
            if self.tool_calls and message.tool_calls:
                function = getattr(message.tool_calls[0], "function", None)
                return str(getattr(function, "arguments", "") or "")
            if message.content is None:
                raise LLMError(f"{self.name} API error: the answer was empty", retryable=True)
            return str(message.content)

        return await with_retries(
            call,
            attempts=self.max_attempts,
            initial=self.backoff_initial,
            maximum=self.backoff_max,
        )

    async def stream_json(
        self, messages: list[Message], schema: dict[str, Any], schema_name: str
    ) -> AsyncIterator[str]:
        request = self._request(messages, schema, strict=True)
        request["stream"] = True

        async def open_stream() -> Any:
            # Retried only up to the first byte: once text has gone to readers, a retry
            # would send them a different answer.
            try:
                return await self._client.chat.completions.create(**request)
            except (openai.OpenAIError, httpx.HTTPError) as error:
                raise describe_error(self.name, error) from error

        stream = await with_retries(
            open_stream,
            attempts=self.max_attempts,
            initial=self.backoff_initial,
            maximum=self.backoff_max,
        )
        received = False
        try:
            async for event in stream:
                for piece in self._deltas(event):
                    received = True
                    yield piece
        except (openai.OpenAIError, httpx.HTTPError) as error:
            described = describe_error(self.name, error)
            if received:
                raise LLMStreamInterrupted(
                    f"{self.name} API error: the answer broke off mid-stream ({described.detail})"
                ) from error
            raise described from error
        finally:
            await stream.close()

    def _deltas(self, event: Any) -> list[str]:
        pieces: list[str] = []
        for choice in getattr(event, "choices", None) or []:
            delta = choice.delta
            if delta is None:
                continue
            if delta.content:
                pieces.append(delta.content)
            for tool_call in delta.tool_calls or []:
                function = tool_call.function
                if function is not None and function.arguments:
                    pieces.append(function.arguments)
        return pieces

    async def aclose(self) -> None:
        await self._client.close()
