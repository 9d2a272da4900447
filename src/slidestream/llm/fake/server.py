"""The simulated LLM: an OpenAI-compatible chat completions server (and, through
`anthropic_wire` and `gemini_wire`, Anthropic's Messages API and Gemini's API).

It answers every request from the JSON schema it was given (`response_format` json_schema
or a `ResponseSchema` function tool), streamed or not, after a configurable latency and at
a configurable token rate. Admin endpoints inject faults (`/_faults`) and report what was
asked (`/_stats`), so tests can count LLM calls per slide.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from slidestream.llm.fake.config import STATUS_FAULTS, FakeLLMConfig, FaultRule, fault_from_dict
from slidestream.llm.fake.content import ContentGenerator

MAX_CALLS_KEPT = 10_000
TOOL_NAME = "ResponseSchema"


class TruncatedStream(Exception):
    """Raised inside a streamed answer to drop the connection mid-way."""


async def stream_answer(
    state: _State,
    call: dict[str, Any],
    text: str,
    fault: FaultRule | None,
    *,
    start: Iterable[bytes],
    piece: Callable[[str, int], bytes],
    end: Iterable[bytes],
) -> AsyncIterator[bytes]:
    """Stream `text` in any wire protocol: the configured latency, the protocol's opening
    events, one event per piece at the configured pace, its closing events. A truncate
    fault cuts the stream after its `after_chars`; the call is recorded as it ended."""
    config = state.config
    limit = fault.after_chars if fault is not None and fault.kind == "truncate" else None
    pieces = _tokens(text, random.Random(len(text)))
    finished = False
    try:
        if config.latency > 0:
            await asyncio.sleep(config.latency)
        for event in start:
            yield event
        sent = 0
        for number, text_piece in enumerate(pieces):
            if limit is not None and sent >= limit:
                state.finish(call, "truncated")
                finished = True
                raise TruncatedStream
            if config.tokens_per_second > 0:
                await asyncio.sleep(1 / config.tokens_per_second)
            sent += len(text_piece)
            yield piece(text_piece, number)
        for event in end:
            yield event
        state.finish(call, 200)
        finished = True
    finally:
        if not finished:
            state.finish(call, "disconnected")


@dataclass
class _Fault:
    rule: FaultRule
    remaining: int


@dataclass
class _State:
    config: FakeLLMConfig
    faults: list[_Fault] = field(default_factory=list)
    calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_CALLS_KEPT))
    requests: int = 0
    in_flight: int = 0
    completed: int = 0
    failed: int = 0
    # Set by `/_release`: stalled calls then answer as if no fault had been injected.
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def hold(self, request: Request) -> bool:
        """Hold a stalled call until `/_release` (True) or until its client goes away
        (False)."""

        async def disconnected() -> None:
            # The body has been read, so the next ASGI message is the disconnect.
            while (await request.receive())["type"] != "http.disconnect":
                pass

        gone = asyncio.ensure_future(disconnected())
        freed = asyncio.ensure_future(self.released.wait())
        try:
            await asyncio.wait({gone, freed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            freed.cancel()
        return freed.done() and not freed.cancelled()

    def release(self) -> None:
        self.released.set()
        self.released = asyncio.Event()

    def take_fault(self, text: str) -> FaultRule | None:
        for fault in self.faults:
            if fault.rule.match is None or fault.rule.match in text:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault.rule
        return None

    def begin_call(self, **fields: Any) -> dict[str, Any]:
        """Record a request as it starts (shown by `/_stats`); `finish` records its end."""
        call: dict[str, Any] = {
            "seq": self.requests,
            **fields,
            "status": None,
            "started_at": time.time(),
            "finished_at": None,
        }
        self.requests += 1
        self.in_flight += 1
        self.calls.append(call)
        return call

    def finish(self, call: dict[str, Any], status: int | str) -> None:
        call["status"] = status
        call["finished_at"] = time.time()
        self.in_flight -= 1
        if status == 200:
            self.completed += 1
        else:
            self.failed += 1


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    headers = {"retry-after": "0"} if status == 429 else None
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": None}},
        status_code=status,
        headers=headers,
    )


def _message_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _schema_of(body: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
        return "tools", function.get("parameters") or {}, function.get("name", TOOL_NAME)
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        return "json_schema", spec.get("schema") or {}, spec.get("name")
    return "text", None, None


def _tokens(text: str, rng: random.Random) -> list[str]:
    pieces, position = [], 0
    while position < len(text):
        size = rng.randint(3, 8)
        pieces.append(text[position : position + size])
        position += size
    return pieces


class FakeLLM:
    def __init__(self, config: FakeLLMConfig) -> None:
        self.state = _State(config, [_Fault(rule, rule.times) for rule in config.faults])

    def app(self) -> Starlette:
        # The other wire modes build on this module, so they are imported here.
        from slidestream.llm.fake import anthropic_wire, gemini_wire, wire

        models = wire.models_by_header(
            self,
            self.models,
            {
                "anthropic-version": anthropic_wire.models(self),
                "x-goog-api-key": gemini_wire.models(self),
            },
        )
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
                Route("/v1/models", models, methods=["GET"]),
                *anthropic_wire.routes(self),
                *gemini_wire.routes(self),
                Route("/_faults", self.add_faults, methods=["POST"]),
                Route("/_faults", self.clear_faults, methods=["DELETE"]),
                Route("/_stats", self.stats, methods=["GET"]),
                Route("/_reset", self.reset, methods=["POST"]),
                Route("/_release", self.release, methods=["POST"]),
            ]
        )

    # --- admin ------------------------------------------------------------------------

    async def models(self, request: Request) -> JSONResponse:
        model = {
            "id": self.state.config.model,
            "object": "model",
            "created": 0,
            "owned_by": "slidestream",
        }
        return JSONResponse({"object": "list", "data": [model]})

    async def add_faults(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
            rules = [fault_from_dict(raw) for raw in body["faults"]]
        except (ValueError, KeyError, TypeError) as error:
            return JSONResponse({"detail": f"bad faults: {error}"}, status_code=400)
        self.state.faults.extend(_Fault(rule, rule.times) for rule in rules)
        return JSONResponse({"faults": len(self.state.faults)})

    async def clear_faults(self, request: Request) -> JSONResponse:
        self.state.faults.clear()
        return JSONResponse({"faults": 0})

    async def release(self, request: Request) -> JSONResponse:
        """Let every stalled call answer now."""
        self.state.release()
        return JSONResponse({"released": True})

    async def stats(self, request: Request) -> JSONResponse:
        state = self.state
        return JSONResponse(
            {
                "requests": state.requests,
                "in_flight": state.in_flight,
                "completed": state.completed,
                "failed": state.failed,
                "calls": list(state.calls),
            }
        )

    async def reset(self, request: Request) -> JSONResponse:
        self.state = _State(self.state.config)
        return JSONResponse({"reset": True})

    # --- completions ------------------------------------------------------------------

    async def chat_completions(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "The request body is not valid JSON.")
        if (
            not isinstance(body, dict)
            or not body.get("model")
            or not isinstance(body.get("messages"), list)
        ):
            return _error(400, "'model' and 'messages' are required.")
        state = self.state
        messages = body["messages"]
        all_text = "\n".join(_message_text(m) for m in messages)
        users = "\n\n".join(
            _message_text(m) for m in messages if isinstance(m, dict) and m.get("role") == "user"
        )
        system = next(
            (
                _message_text(m)
                for m in messages
                if isinstance(m, dict) and m.get("role") == "system"
            ),
            "",
        )
        mode, schema, schema_name = _schema_of(body)
        stream = bool(body.get("stream"))
        call = state.begin_call(
            wire="openai",
            stream=stream,
            mode=mode,
            schema_name=schema_name,
            user=users[:4000],
            system=system,
            enable_thinking=body.get("enable_thinking"),
        )
        fault = state.take_fault(all_text)
        try:
            if fault is not None and fault.kind.isdigit():
                status = int(fault.kind)
                state.finish(call, status)
                return _error(status, *STATUS_FAULTS[status])
            if fault is not None and fault.kind == "stall":
                if not await state.hold(request):
                    state.finish(call, "stall")
                    return Response(status_code=499)
                fault = None  # released: answer normally
            text = self._answer(all_text, mode, schema, messages)
            if fault is not None and fault.kind == "invalid_json":
                text = text[: max(1, len(text) // 2)] + " -- sorry, I lost my train of thought."
            if stream:
                return StreamingResponse(
                    self._stream(call, text, mode, body["model"], fault),
                    media_type="text/event-stream",
                )
            await self._wait(len(_tokens(text, random.Random(0))))
            if fault is not None and fault.kind == "truncate":
                state.finish(call, "truncated")
                return Response(text[: fault.after_chars], media_type="application/json")
            state.finish(call, 200)
            return JSONResponse(self._completion(text, mode, body["model"]))
        except asyncio.CancelledError:
            if call["status"] is None:
                state.finish(call, "disconnected")
            raise

    def _answer(
        self, prompt: str, mode: str, schema: dict[str, Any] | None, messages: list[Any]
    ) -> str:
        seed_text = json.dumps(
            [self.state.config.seed, messages, schema], sort_keys=True, default=str
        )
        rng = random.Random(hashlib.sha256(seed_text.encode()).hexdigest())
        users = " ".join(
            _message_text(m) for m in messages if isinstance(m, dict) and m.get("role") == "user"
        )
        generator = ContentGenerator(rng, users)
        if schema is not None:
            return json.dumps(generator.value(schema, schema), ensure_ascii=False)
        if "json" in prompt.lower():
            return json.dumps({"answer": generator.text("answer", {"maxLength": 200}, False)})
        return generator.text("answer", {"maxLength": 400}, False)

    async def _wait(self, token_count: int) -> None:
        config = self.state.config
        delay = config.latency
        if config.tokens_per_second > 0:
            delay += token_count / config.tokens_per_second
        if delay > 0:
            await asyncio.sleep(delay)

    def _completion(self, text: str, mode: str, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        finish = "stop"
        if mode == "tools":
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": TOOL_NAME, "arguments": text},
                    }
                ],
            }
            finish = "tool_calls"
        tokens = max(1, len(text) // 4)
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": 10,
                "completion_tokens": tokens,
                "total_tokens": tokens + 10,
            },
        }

    def _stream(
        self, call: dict[str, Any], text: str, mode: str, model: str, fault: FaultRule | None
    ) -> AsyncIterator[bytes]:
        finish = "tool_calls" if mode == "tools" else "stop"
        return stream_answer(
            self.state,
            call,
            text,
            fault,
            start=[],
            piece=lambda piece, number: self._chunk(
                model, self._delta(piece, mode, first=number == 0), None
            ),
            end=[self._chunk(model, {}, finish), b"data: [DONE]\n\n"],
        )

    def _delta(self, piece: str, mode: str, first: bool) -> dict[str, Any]:
        if mode != "tools":
            return {"role": "assistant", "content": piece} if first else {"content": piece}
        tool_call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
        if first:
            tool_call.update({"id": "call_1", "type": "function"})
            tool_call["function"]["name"] = TOOL_NAME
        return {"tool_calls": [tool_call]}

    def _chunk(self, model: str, delta: dict[str, Any], finish: str | None) -> bytes:
        event = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(event)}\n\n".encode()


def create_fake_llm_app(config: FakeLLMConfig) -> Starlette:
    """The simulated LLM as an ASGI app."""
    return FakeLLM(config).app()


def run_fake_llm(host: str, port: int, config: FakeLLMConfig) -> None:
    """Serve the simulated LLM until interrupted."""
    uvicorn.run(
        create_fake_llm_app(config), host=host, port=port, log_level="warning", access_log=False
    )
