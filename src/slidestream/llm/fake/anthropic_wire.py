"""The simulated LLM speaking Anthropic's Messages API (`POST /v1/messages`).

A request with tools is answered with a `tool_use` block for the first tool, whose input
is generated from the tool's `input_schema`; streamed, the input arrives as
`input_json_delta` pieces. Without tools the answer is text (`text_delta` when streamed).
`models` lists models in Anthropic's shape; `GET /v1/models` serves it to requests that
carry the `anthropic-version` header the SDK always sends (see `wire.models_by_header`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from slidestream.llm.fake.server import FakeLLM
from slidestream.llm.fake.wire import (
    Endpoint,
    WireRequest,
    serve,
    status_fault,
    take_status_fault,
    text_of,
)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}
MODELS = ("claude-sonnet-4-20250514", "claude-3-5-haiku-20241022")


def error(status: int, message: str) -> JSONResponse:
    kind = ERROR_TYPES.get(status, "api_error")
    headers = {"retry-after": "0"} if status in (429, 529) else None
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}},
        status_code=status,
        headers=headers,
    )


def api_key(request: Request) -> str:
    """The key, from `x-api-key` or (as newer SDKs send it) `authorization: Bearer`."""
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return request.headers.get("x-api-key") or bearer


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class AnthropicFormat:
    def error(self, status: int, message: str) -> Response:
        return error(status, message)

    def _message(self, request: WireRequest, content: list[Any], stop: str | None) -> Any:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": request.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        }

    def completion(self, request: WireRequest, text: str) -> dict[str, Any]:
        if request.mode == "tools":
            try:
                tool_input = json.loads(text)
            except ValueError:
                tool_input = None
            if isinstance(tool_input, dict):
                block = {
                    "type": "tool_use",
                    "id": "toolu_fake",
                    "name": request.schema_name,
                    "input": tool_input,
                }
                result: dict[str, Any] = self._message(request, [block], "tool_use")
                return result
        # Broken JSON (an `invalid_json` fault) cannot be a tool input: it comes as text.
        answer: dict[str, Any] = self._message(
            request, [{"type": "text", "text": text}], "end_turn"
        )
        answer["usage"]["output_tokens"] = max(1, len(text) // 4)
        return answer

    def stream_start(self, request: WireRequest) -> Iterator[bytes]:
        yield _event(
            "message_start", {"type": "message_start", "message": self._message(request, [], None)}
        )
        if request.mode == "tools":
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": "toolu_fake",
                "name": request.schema_name,
                "input": {},
            }
        else:
            block = {"type": "text", "text": ""}
        yield _event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        )
        yield _event("ping", {"type": "ping"})

    def stream_piece(self, request: WireRequest, piece: str, number: int) -> bytes:
        if request.mode == "tools":
            delta = {"type": "input_json_delta", "partial_json": piece}
        else:
            delta = {"type": "text_delta", "text": piece}
        return _event(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        )

    def stream_end(self, request: WireRequest, text: str) -> Iterator[bytes]:
        yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
        stop = "tool_use" if request.mode == "tools" else "end_turn"
        yield _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": max(1, len(text) // 4)},
            },
        )
        yield _event("message_stop", {"type": "message_stop"})


def parse(body: Any) -> WireRequest | str:
    """The request, or what is wrong with it."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    messages = body.get("messages")
    if not body.get("model") or not isinstance(messages, list) or not messages:
        return "model: Field required; messages: at least one message is required"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    shaped: list[dict[str, str]] = []
    system = text_of(body.get("system"))
    if system:
        shaped.append({"role": "system", "content": system})
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return "messages: each message needs a role of user or assistant"
        shaped.append({"role": str(message["role"]), "content": text_of(message.get("content"))})
    mode, schema, schema_name = "text", None, None
    tools = body.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[0], dict):
        chosen = body.get("tool_choice") or {}
        named = chosen.get("name") if isinstance(chosen, dict) else None
        tool = next((t for t in tools if isinstance(t, dict) and t.get("name") == named), tools[0])
        if not isinstance(tool.get("input_schema"), dict):
            return "tools.0.input_schema: Field required"
        mode, schema, schema_name = "tools", tool["input_schema"], str(tool.get("name"))
    return WireRequest(
        wire="anthropic",
        model=str(body["model"]),
        stream=bool(body.get("stream")),
        mode=mode,
        schema=schema,
        schema_name=schema_name,
        messages=shaped,
    )


def routes(fake: FakeLLM) -> list[Route]:
    async def messages(request: Request) -> Response:
        if not api_key(request):
            return error(401, "x-api-key header is required")
        try:
            body = await request.json()
        except ValueError:
            return error(400, "The request body is not valid JSON.")
        parsed = parse(body)
        if isinstance(parsed, str):
            return error(400, parsed)
        return await serve(fake, request, parsed, AnthropicFormat())

    return [Route("/v1/messages", messages, methods=["POST"])]


def models(fake: FakeLLM) -> Endpoint:
    """`GET /v1/models` in Anthropic's shape (the SDK sends `anthropic-version`)."""

    async def listing(request: Request) -> Response:
        status = take_status_fault(fake, api_key(request))
        if status is not None:
            return error(status, status_fault(status))
        names = [*MODELS, fake.state.config.model]
        data = [
            {
                "type": "model",
                "id": name,
                "display_name": name.replace("-", " ").title(),
                "created_at": "2025-05-14T00:00:00Z",
            }
            for name in names
        ]
        return JSONResponse(
            {"data": data, "has_more": False, "first_id": names[0], "last_id": names[-1]}
        )

    return listing
