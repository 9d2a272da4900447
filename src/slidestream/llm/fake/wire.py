"""What the simulated LLM's non-OpenAI wire modes share.

A wire mode (Anthropic's Messages API, Gemini's generateContent) parses its request into
a `WireRequest` and renders answers and errors in its own shapes (`WireFormat`); the rest
is the same as the OpenAI mode: the call is recorded in `/_stats`, `/_faults` rules apply
(HTTP status faults in the provider's error shape, stalls, cut streams, broken JSON), and
the answer comes from the same content generator, with the same latency and token rate.

Without native structured output, a prompt that carries a schema (`llm.jsontext`) is
answered with that schema's JSON in a fenced block, among a little chatter.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from slidestream.llm.fake.config import STATUS_FAULTS, FaultRule
from slidestream.llm.fake.server import FakeLLM, _error, _tokens, stream_answer
from slidestream.llm.jsontext import INSTRUCTION_HEAD, schema_in_prompt

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class WireRequest:
    wire: str
    model: str
    stream: bool
    mode: str  # "tools", "json_schema" or "text"
    schema: dict[str, Any] | None
    schema_name: str | None
    # OpenAI-shaped {"role", "content"} messages, system first: what the generator reads.
    messages: list[dict[str, str]]


class WireFormat(Protocol):
    def error(self, status: int, message: str) -> Response: ...

    def completion(self, request: WireRequest, text: str) -> dict[str, Any]: ...

    def stream_start(self, request: WireRequest) -> Iterator[bytes]: ...

    def stream_piece(self, request: WireRequest, piece: str, number: int) -> bytes: ...

    def stream_end(self, request: WireRequest, text: str) -> Iterator[bytes]: ...


def fenced(text: str) -> str:
    """An answer as a chatty model writes it when asked for fenced JSON."""
    return f"Here is the JSON you asked for.\n\n```json\n{text}\n```\n\nLet me know if it helps."


def status_fault(status: int) -> str:
    return STATUS_FAULTS.get(status, ("Simulated error.", "api_error"))[0]


def take_status_fault(fake: FakeLLM, text: str) -> int | None:
    """For calls that only fail or succeed (model listings): the status of the next HTTP
    status fault matching `text`, used up; other faults stay for the answers."""
    for fault in fake.state.faults:
        rule = fault.rule
        if rule.kind.isdigit() and (rule.match is None or rule.match in text):
            fault.remaining -= 1
            if fault.remaining <= 0:
                fake.state.faults.remove(fault)
            return int(rule.kind)
    return None


async def serve(fake: FakeLLM, request: Request, wire: WireRequest, fmt: WireFormat) -> Response:
    """Answer one parsed request as the OpenAI mode would, in `fmt`'s shapes."""
    state = fake.state
    all_text = "\n".join(m["content"] for m in wire.messages)
    users = "\n\n".join(m["content"] for m in wire.messages if m["role"] == "user")
    system = next((m["content"] for m in wire.messages if m["role"] == "system"), "")
    in_prompt = schema_in_prompt(all_text) if wire.mode == "text" else None
    call = state.begin_call(
        wire=wire.wire,
        stream=wire.stream,
        mode=wire.mode,
        schema_name=wire.schema_name,
        user=users[:4000],
        system=system,
        enable_thinking=None,
    )
    fault = state.take_fault(all_text)
    try:
        if fault is not None and fault.kind.isdigit():
            status = int(fault.kind)
            state.finish(call, status)
            return fmt.error(status, status_fault(status))
        if fault is not None and fault.kind == "stall":
            if not await state.hold(request):
                state.finish(call, "stall")
                return Response(status_code=499)
            fault = None  # released: answer normally
        schema = wire.schema if wire.schema is not None else in_prompt
        mode = "json_schema" if in_prompt is not None else wire.mode
        # The content comes from the question, not from the instruction about the format.
        asked = [
            {**m, "content": m["content"].split(INSTRUCTION_HEAD)[0].rstrip()}
            for m in wire.messages
        ]
        text = fake._answer(all_text, mode, schema, asked)
        if fault is not None and fault.kind == "invalid_json":
            text = text[: max(1, len(text) // 2)] + " -- sorry, I lost my train of thought."
        if in_prompt is not None:
            text = fenced(text)
        if wire.stream:
            return StreamingResponse(
                _stream(fake, call, wire, fmt, text, fault), media_type="text/event-stream"
            )
        await fake._wait(len(_tokens(text, random.Random(0))))
        if fault is not None and fault.kind == "truncate":
            state.finish(call, "truncated")
            return Response(text[: fault.after_chars], media_type="application/json")
        state.finish(call, 200)
        return JSONResponse(fmt.completion(wire, text))
    except asyncio.CancelledError:
        if call["status"] is None:
            state.finish(call, "disconnected")
        raise


def _stream(
    fake: FakeLLM,
    call: dict[str, Any],
    wire: WireRequest,
    fmt: WireFormat,
    text: str,
    fault: FaultRule | None,
) -> AsyncIterator[bytes]:
    return stream_answer(
        fake.state,
        call,
        text,
        fault,
        start=fmt.stream_start(wire),
        piece=lambda piece, number: fmt.stream_piece(wire, piece, number),
        end=fmt.stream_end(wire, text),
    )


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or a list of text blocks/parts."""
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return str(content or "")


def models_by_header(fake: FakeLLM, openai: Endpoint, by_header: dict[str, Endpoint]) -> Endpoint:
    """`GET /v1/models`, which every wire has: the listing of the first wire whose header
    the request carries (`anthropic-version`, `x-goog-api-key`), else OpenAI's, which
    honours status faults too (matched against the key)."""

    async def listing(request: Request) -> Response:
        for header, endpoint in by_header.items():
            if header in request.headers:
                return await endpoint(request)
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        status = take_status_fault(fake, key)
        if status is not None:
            return _error(status, *STATUS_FAULTS[status])
        return await openai(request)

    return listing
