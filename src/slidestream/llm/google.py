"""Google's Gemini API, through the official `google-genai` SDK.

Structured output is `response_mime_type="application/json"` with the schema as
`response_json_schema` (plain JSON Schema, no conversion to Gemini's own Schema type);
with `LLM_STRUCTURED_OUTPUTS=false` the schema goes into the prompt instead and the JSON is
read from the answer text. System messages go to `system_instruction`. The SDK's own
retries are off: `llm.retry` owns the policy so every provider retries the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from slidestream.llm.base import LLMError, Message
from slidestream.llm.jsontext import JsonTextStream, extract_json_text, with_json_instruction
from slidestream.llm.openai_compat import (
    TRANSPORT_ERRORS,
    describe_status,
    describe_transport,
    retried_stream,
)
from slidestream.llm.retry import RetryPolicy

PROVIDER_NAME = "Google Gemini"
SDK_ERRORS: tuple[type[BaseException], ...] = (genai_errors.APIError, *TRANSPORT_ERRORS)


def describe_google_error(error: BaseException, provider: str = PROVIDER_NAME) -> LLMError:
    """Map an SDK/transport error to a readable, classified LLMError."""
    if isinstance(error, LLMError):
        return error
    if isinstance(error, genai_errors.APIError):
        message = str(error.message or error.status or "")
        if error.code == 400 and "api key" in message.lower():
            # Gemini answers a bad key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID).
            return LLMError(f"{provider} rejected the API key (400): {message.rstrip('.')}")
        return describe_status(provider, int(error.code), message)
    if isinstance(error, TRANSPORT_ERRORS):
        return describe_transport(provider, error)
    return LLMError(f"{provider} API error: {error}")


def google_client(api_key: str, base_url: str | None, timeout: float) -> genai.Client:
    return genai.Client(
        api_key=api_key,
        vertexai=False,
        http_options=types.HttpOptions(
            base_url=base_url,
            timeout=max(1, int(timeout * 1000)),  # milliseconds
            retry_options=None,  # no SDK retries
        ),
    )


async def list_google_models(
    api_key: str, base_url: str | None, timeout_seconds: float
) -> list[str]:
    """The names (`models/...`) of the models this key may generate text with; raises a
    readable LLMError."""
    client = google_client(api_key, base_url, timeout_seconds)
    try:
        names: list[str] = []
        async for model in await client.aio.models.list(config={"page_size": 100}):
            actions = model.supported_actions
            if model.name and (actions is None or "generateContent" in actions):
                names.append(model.name)
        return names
    except SDK_ERRORS as error:
        raise describe_google_error(error) from error
    finally:
        await client.aio.aclose()


def _text_of(response: types.GenerateContentResponse) -> str:
    """The answer's text parts (thoughts left out)."""
    pieces: list[str] = []
    for candidate in (response.candidates or [])[:1]:
        content = candidate.content
        for part in (content.parts if content is not None else None) or []:
            if part.text and not part.thought:
                pieces.append(part.text)
    return "".join(pieces)


def _why_empty(response: types.GenerateContentResponse) -> str:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        return f"the prompt was blocked ({feedback.block_reason})"
    candidates = response.candidates or []
    if candidates and candidates[0].finish_reason is not None:
        return f"the answer was empty (finish reason {candidates[0].finish_reason})"
    return "the answer was empty"


class GoogleProvider:
    """An LLMProvider speaking the Gemini API."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None,
        timeout: float,
        retry: RetryPolicy,
        structured_outputs: bool = True,
        name: str = PROVIDER_NAME,
    ) -> None:
        self.name = name
        self.model = model
        self.structured_outputs = structured_outputs
        self.retry = retry
        self._client = google_client(api_key, base_url, timeout)

    def _request(
        self, messages: list[Message], schema: dict[str, Any]
    ) -> tuple[list[types.Content], types.GenerateContentConfig]:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [m for m in messages if m.role != "system"]
        if not turns:
            turns, system = [Message("user", system)], ""
        if not self.structured_outputs:
            turns = with_json_instruction(turns, schema)
        contents = [
            types.Content(
                role="model" if turn.role == "assistant" else "user",
                parts=[types.Part(text=turn.content)],
            )
            for turn in turns
        ]
        config = types.GenerateContentConfig(system_instruction=system or None)
        if self.structured_outputs:
            config.response_mime_type = "application/json"
            config.response_json_schema = schema
        return contents, config

    def _describe(self, error: BaseException) -> LLMError:
        return describe_google_error(error, self.name)

    async def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
        *,
        strict: bool = False,
    ) -> str:
        contents, config = self._request(messages, schema)

        async def call() -> str:
            try:
                response = await self._client.aio.models.generate_content(
                    model=self.model, contents=contents, config=config
                )
            except SDK_ERRORS as error:
                raise self._describe(error) from error
            text = _text_of(response)
            if not text.strip():
                raise LLMError(f"{self.name} API error: {_why_empty(response)}", retryable=True)
            return text if self.structured_outputs else extract_json_text(text)

        return await self.retry.run(call)

    def stream_json(
        self, messages: list[Message], schema: dict[str, Any], schema_name: str
    ) -> AsyncIterator[str]:
        contents, config = self._request(messages, schema)

        async def start() -> AsyncIterator[str]:
            stream = await self._client.aio.models.generate_content_stream(
                model=self.model, contents=contents, config=config
            )
            return self._pieces(stream)

        return retried_stream(
            start,
            provider=self.name,
            describe=self._describe,
            errors=SDK_ERRORS,
            retry=self.retry,
        )

    async def _pieces(
        self, stream: AsyncIterator[types.GenerateContentResponse]
    ) -> AsyncIterator[str]:
        extractor = None if self.structured_outputs else JsonTextStream()
        try:
            async for chunk in stream:
                piece = _text_of(chunk)
                if extractor is not None:
                    piece = extractor.feed(piece)
                if piece:
                    yield piece
            if extractor is not None and (rest := extractor.finish()):
                yield rest
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                await closer()

    async def aclose(self) -> None:
        await self._client.aio.aclose()
