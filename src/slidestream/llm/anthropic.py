"""Anthropic's Messages API, through the official SDK.

Structured output is a forced tool: one tool whose `input_schema` is the answer's schema,
and `tool_choice` naming it, so the answer is the tool's input. A streamed answer arrives
as the tool's `input_json_delta` pieces, which are passed on as they come. With
`LLM_STRUCTURED_OUTPUTS=false` the schema goes into the prompt instead and the JSON is read
from the answer text. System messages go to `system=`. The SDK's own retries are off:
`llm.retry` owns the policy so every provider retries the same way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic

from slidestream.llm.base import LLMError, Message
from slidestream.llm.jsontext import JsonTextStream, extract_json_text, with_json_instruction
from slidestream.llm.openai_compat import (
    SCHEMA_NAME,
    TRANSPORT_ERRORS,
    describe_status,
    describe_transport,
    retried_stream,
)
from slidestream.llm.retry import RetryPolicy

PROVIDER_NAME = "Anthropic"
DEFAULT_MAX_TOKENS = 8192
SDK_ERRORS: tuple[type[BaseException], ...] = (anthropic.AnthropicError, *TRANSPORT_ERRORS)


def _status_message(error: anthropic.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return "" if error.message.startswith("Error code") else error.message


def describe_anthropic_error(error: BaseException, provider: str = PROVIDER_NAME) -> LLMError:
    """Map an SDK/transport error to a readable, classified LLMError."""
    if isinstance(error, LLMError):
        return error
    if isinstance(error, anthropic.APIStatusError):
        return describe_status(provider, error.status_code, _status_message(error))
    if isinstance(error, (anthropic.APIConnectionError, *TRANSPORT_ERRORS)):
        return describe_transport(provider, error)
    return LLMError(f"{provider} API error: {error}")


def anthropic_client(
    api_key: str, base_url: str | None, timeout: float
) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
    )


async def list_anthropic_models(
    api_key: str, base_url: str | None, timeout_seconds: float
) -> list[str]:
    """The ids of the models this key may use; raises a readable LLMError."""
    client = anthropic_client(api_key, base_url, timeout_seconds)
    try:
        return [model.id async for model in client.models.list(limit=100)]
    except SDK_ERRORS as error:
        raise describe_anthropic_error(error) from error
    finally:
        await client.close()


class AnthropicProvider:
    """An LLMProvider speaking Anthropic's Messages API."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None,
        timeout: float,
        retry: RetryPolicy,
        structured_outputs: bool = True,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        name: str = PROVIDER_NAME,
    ) -> None:
        self.name = name
        self.model = model
        self.structured_outputs = structured_outputs
        self.max_tokens = max_tokens
        self.retry = retry
        self._client = anthropic_client(api_key, base_url, timeout)

    def _request(self, messages: list[Message], schema: dict[str, Any]) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [m for m in messages if m.role != "system"]
        if not turns:
            turns, system = [Message("user", system)], ""
        if not self.structured_outputs:
            turns = with_json_instruction(turns, schema)
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": _alternating(turns),
        }
        if system:
            request["system"] = system
        if self.structured_outputs:
            request["tools"] = [
                {
                    "name": SCHEMA_NAME,
                    "description": "Provide the answer in this shape.",
                    "input_schema": schema,
                }
            ]
            request["tool_choice"] = {"type": "tool", "name": SCHEMA_NAME}
        return request

    def _describe(self, error: BaseException) -> LLMError:
        return describe_anthropic_error(error, self.name)

    async def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
        *,
        strict: bool = False,
    ) -> str:
        request = self._request(messages, schema)

        async def call() -> str:
            try:
                response = await self._client.messages.create(**request)
            except SDK_ERRORS as error:
                raise self._describe(error) from error
            text = ""
            for block in response.content:
                if block.type == "tool_use" and self.structured_outputs:
                    return json.dumps(block.input, ensure_ascii=False)
                if block.type == "text":
                    text += block.text
            if not text.strip():
                raise LLMError(f"{self.name} API error: the answer was empty", retryable=True)
            return extract_json_text(text)

        return await self.retry.run(call)

    def stream_json(
        self, messages: list[Message], schema: dict[str, Any], schema_name: str
    ) -> AsyncIterator[str]:
        request = {**self._request(messages, schema), "stream": True}

        async def start() -> AsyncIterator[str]:
            stream = await self._client.messages.create(**request)
            return self._pieces(stream)

        return retried_stream(
            start,
            provider=self.name,
            describe=self._describe,
            errors=SDK_ERRORS,
            retry=self.retry,
        )

    async def _pieces(self, stream: Any) -> AsyncIterator[str]:
        extractor = None if self.structured_outputs else JsonTextStream()
        try:
            async for event in stream:
                if event.type != "content_block_delta":
                    continue
                delta = event.delta
                if delta.type == "input_json_delta" and extractor is None:
                    piece = delta.partial_json
                elif delta.type == "text_delta" and extractor is not None:
                    piece = extractor.feed(delta.text)
                else:
                    continue
                if piece:
                    yield piece
            if extractor is not None and (rest := extractor.finish()):
                yield rest
        finally:
            await stream.close()

    async def aclose(self) -> None:
        await self._client.close()


def _alternating(turns: list[Message]) -> list[dict[str, str]]:
    """Messages as the API takes them: consecutive turns of one role joined into one."""
    merged: list[dict[str, str]] = []
    for turn in turns:
        if merged and merged[-1]["role"] == turn.role:
            merged[-1]["content"] += "\n\n" + turn.content
        else:
            merged.append({"role": turn.role, "content": turn.content})
    return merged
