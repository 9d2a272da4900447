"""OpenAI-compatible chat completions: OpenAI, Ollama, vLLM, llama.cpp, LM Studio, ...

Structured output goes out as `response_format: json_schema` (named `ResponseSchema`, as
Presenton sends it) or, with `TOOL_CALLS=true`, as a function tool of that name whose
arguments are the answer; with `LLM_STRUCTURED_OUTPUTS=false`, neither: the schema goes
into the prompt and the JSON is read from the answer text (`llm.jsontext`). The SDK's own
retries are off: `llm.retry` owns the policy so every provider retries the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI

from slidestream.llm.base import LLMError, LLMStreamInterrupted, Message
from slidestream.llm.jsontext import JsonTextStream, extract_json_text, with_json_instruction
from slidestream.llm.retry import RetryPolicy

SCHEMA_NAME = "ResponseSchema"
TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}


def _transport_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """httpx's errors and timeouts, and those of its fork httpx2 that newer SDKs use."""
    try:
        import httpx2
    except ImportError:  # pragma: no cover - depends on the installed SDK versions
        return (httpx.HTTPError,), (httpx.TimeoutException,)
    return (httpx.HTTPError, httpx2.HTTPError), (httpx.TimeoutException, httpx2.TimeoutException)


TRANSPORT_ERRORS, TIMEOUT_ERRORS = _transport_errors()
OPENAI_ERRORS: tuple[type[Exception], ...] = (openai.OpenAIError, *TRANSPORT_ERRORS)


def root_cause(error: BaseException) -> BaseException:
    """The innermost cause (an SDK's "Connection error." hides the useful part)."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = error.__cause__ or error.__context__
        if inner is None:
            break
        error = inner
    return error


def describe_status(provider: str, status: int, message: str) -> LLMError:
    """A readable, classified LLMError for an HTTP error answer from `provider`."""
    message = message.strip().rstrip(".")
    suffix = f": {message}" if message else ""
    if status in (401, 403):
        what = "rejected the API key" if status == 401 else "refused access with this API key"
        return LLMError(f"{provider} {what} ({status}){suffix}")
    if status == 429:
        return LLMError(f"{provider} rate limit reached (429){suffix}", retryable=True)
    if status == 529:
        return LLMError(f"{provider} is overloaded (529){suffix}", retryable=True)
    if status == 404:
        return LLMError(f"{provider} does not know this model or endpoint (404){suffix}")
    if status >= 500:
        return LLMError(
            f"{provider} server error ({status}){suffix}", retryable=status in TRANSIENT_STATUS
        )
    return LLMError(
        f"{provider} rejected the request ({status}){suffix}",
        retryable=status in TRANSIENT_STATUS,
    )


def describe_transport(provider: str, error: BaseException) -> LLMError:
    """A readable LLMError for a call that got no complete HTTP answer (worth retrying)."""
    cause = root_cause(error)
    if isinstance(error, TIMEOUT_ERRORS) or isinstance(cause, (*TIMEOUT_ERRORS, TimeoutError)):
        return LLMError(f"{provider} did not answer in time (timed out)", retryable=True)
    text = str(cause).strip() or type(cause).__name__
    if isinstance(cause, ConnectionError) or "connect" in type(cause).__name__.lower():
        return LLMError(
            f"{provider} could not be reached: could not connect ({text})", retryable=True
        )
    return LLMError(f"{provider} connection failed ({text})", retryable=True)


async def retried_stream(
    start: Callable[[], Awaitable[AsyncIterator[str]]],
    *,
    provider: str,
    describe: Callable[[BaseException], LLMError],
    errors: tuple[type[BaseException], ...],
    retry: RetryPolicy,
) -> AsyncIterator[str]:
    """The pieces of a streamed answer, retried (with `llm.retry`) until the first piece
    arrives; a failure after that is an LLMStreamInterrupted, never a silent retry, since
    readers already have the start of this answer.

    `start` opens the call and returns its pieces; SDK errors it raises are described
    with `describe`, and so are those the pieces raise.
    """

    async def first_piece() -> tuple[AsyncIterator[str], str | None]:
        try:
            pieces = await start()
        except errors as error:
            raise describe(error) from error
        try:
            return pieces, await anext(pieces)
        except StopAsyncIteration:
            return pieces, None
        except errors as error:
            await _close(pieces)
            raise describe(error) from error
        except BaseException:
            await _close(pieces)
            raise

    pieces, head = await retry.run(first_piece)
    if head is None:
        return
    try:
        yield head
        async for piece in pieces:
            yield piece
    except errors as error:
        detail = describe(error).detail
        raise LLMStreamInterrupted(
            f"{provider}: the answer broke off mid-stream ({detail})"
        ) from error
    finally:
        await _close(pieces)


async def _close(pieces: AsyncIterator[str]) -> None:
    closer = getattr(pieces, "aclose", None)
    if closer is not None:
        await closer()


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
    if isinstance(error, TRANSPORT_ERRORS):
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
        retry: RetryPolicy,
        tool_calls: bool = False,
        disable_thinking: bool = False,
        structured_outputs: bool = True,
    ) -> None:
        self.name = name
        self.model = model
        self.tool_calls = tool_calls
        self.structured_outputs = structured_outputs
        self.disable_thinking = disable_thinking
        self.retry = retry
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout
        )

    def _request(
        self, messages: list[Message], schema: dict[str, Any], strict: bool
    ) -> dict[str, Any]:
        if not self.structured_outputs:
            messages = with_json_instruction(messages, schema)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        if self.structured_outputs and self.tool_calls:
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
        elif self.structured_outputs:
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
            except OPENAI_ERRORS as error:
                raise describe_error(self.name, error) from error
            if not response.choices:
                raise LLMError(f"{self.name} API error: the answer had no choices", retryable=True)
            message = response.choices[0].message
            if self.structured_outputs and self.tool_calls and message.tool_calls:
                function = getattr(message.tool_calls[0], "function", None)
                return str(getattr(function, "arguments", "") or "")
            if message.content is None:
                raise LLMError(f"{self.name} API error: the answer was empty", retryable=True)
            if not self.structured_outputs:
                return extract_json_text(str(message.content))
            return str(message.content)

        return await self.retry.run(call)

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
            except OPENAI_ERRORS as error:
                raise describe_error(self.name, error) from error

        stream = await self.retry.run(open_stream)
        received = False
        extractor = None if self.structured_outputs else JsonTextStream()
        try:
            async for event in stream:
                for piece in self._deltas(event):
                    received = True
                    if extractor is not None:
                        piece = extractor.feed(piece)
                    if piece:
                        yield piece
            if extractor is not None and (rest := extractor.finish()):
                yield rest
        except OPENAI_ERRORS as error:
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


def describe_plainly(provider: str, error: BaseException) -> LLMError:
    """Like `describe_error`, in the plain words the Anthropic and Gemini providers use."""
    if isinstance(error, openai.APIStatusError):
        return describe_status(provider, error.status_code, _error_message(error))
    if isinstance(error, (openai.APIConnectionError, *TRANSPORT_ERRORS)):
        return describe_transport(provider, error)
    return LLMError(f"{provider} API error: {error}")


async def list_openai_models(
    provider: str, base_url: str | None, api_key: str, timeout_seconds: float
) -> list[str]:
    """The ids of the models an OpenAI-compatible server offers to this key; raises a
    readable LLMError."""
    client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout_seconds)
    try:
        return [model.id async for model in client.models.list()]
    except OPENAI_ERRORS as error:
        raise describe_plainly(provider, error) from error
    finally:
        await client.close()
