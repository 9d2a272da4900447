"""The simulated LLM speaking the Gemini API (`/v1beta/models/...`).

`POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse` answer
from `generationConfig.responseJsonSchema` (or `responseSchema`, Gemini's own upper-case
schema dialect) when `responseMimeType` is JSON, and with text otherwise;
`GET /v1beta/models` lists models in Gemini's shape, one of them not for generation. The
same routes answer under `/v1` for SDK versions that default to it.
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

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
MODELS: tuple[tuple[str, list[str]], ...] = (
    ("models/gemini-2.5-flash", ["generateContent", "countTokens", "createCachedContent"]),
    ("models/gemini-2.5-pro", ["generateContent", "countTokens"]),
    ("models/text-embedding-004", ["embedContent"]),
)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": status,
                "message": message,
                "status": STATUS_NAMES.get(status, "UNAVAILABLE"),
            }
        },
        status_code=status,
    )


def _lower_types(schema: Any) -> Any:
    """Gemini's `responseSchema` dialect (`"type": "OBJECT"`) as plain JSON Schema."""
    if isinstance(schema, dict):
        return {
            key: value.lower() if key == "type" and isinstance(value, str) else _lower_types(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_lower_types(item) for item in schema]
    return schema


class GeminiFormat:
    def error(self, status: int, message: str) -> Response:
        return error(status, message)

    def _response(self, request: WireRequest, text: str, finish: str | None) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "content": {"role": "model", "parts": [{"text": text}]},
            "index": 0,
        }
        if finish is not None:
            candidate["finishReason"] = finish
        tokens = max(1, len(text) // 4)
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": 10,
                "candidatesTokenCount": tokens,
                "totalTokenCount": tokens + 10,
            },
            "modelVersion": request.model,
            "responseId": "fake-response",
        }

    def completion(self, request: WireRequest, text: str) -> dict[str, Any]:
        return self._response(request, text, "STOP")

    def stream_start(self, request: WireRequest) -> Iterator[bytes]:
        return iter(())

    def stream_piece(self, request: WireRequest, piece: str, number: int) -> bytes:
        return f"data: {json.dumps(self._response(request, piece, None))}\r\n\r\n".encode()

    def stream_end(self, request: WireRequest, text: str) -> Iterator[bytes]:
        yield f"data: {json.dumps(self._response(request, '', 'STOP'))}\r\n\r\n".encode()


def parse(model: str, body: Any, stream: bool) -> WireRequest | str:
    """The request, or what is wrong with it."""
    if not isinstance(body, dict):
        return "Invalid JSON payload received."
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "* GenerateContentRequest.contents: contents is not specified"
    shaped: list[dict[str, str]] = []
    system = body.get("systemInstruction") or body.get("system_instruction")
    if isinstance(system, dict):
        shaped.append({"role": "system", "content": text_of(system.get("parts"))})
    for content in contents:
        if not isinstance(content, dict):
            return "* GenerateContentRequest.contents: each content must be an object"
        role = "assistant" if content.get("role") == "model" else "user"
        shaped.append({"role": role, "content": text_of(content.get("parts"))})
    config = body.get("generationConfig") or {}
    mode, schema = "text", None
    if isinstance(config, dict) and config.get("responseMimeType") == "application/json":
        if isinstance(config.get("responseJsonSchema"), dict):
            mode, schema = "json_schema", config["responseJsonSchema"]
        elif isinstance(config.get("responseSchema"), dict):
            mode, schema = "json_schema", _lower_types(config["responseSchema"])
    return WireRequest(
        wire="gemini",
        model=model,
        stream=stream,
        mode=mode,
        schema=schema,
        schema_name=None,
        messages=shaped,
    )


def routes(fake: FakeLLM) -> list[Route]:
    async def generate(request: Request) -> Response:
        target = request.path_params["target"]
        model, _, method = target.partition(":")
        if method not in ("generateContent", "streamGenerateContent"):
            return error(404, f"Method {method or target!r} not found.")
        if not (request.headers.get("x-goog-api-key") or request.query_params.get("key")):
            return error(403, "Method doesn't allow unregistered callers. Please use an API Key.")
        try:
            body = await request.json()
        except ValueError:
            return error(400, "Invalid JSON payload received.")
        parsed = parse(f"models/{model}", body, method == "streamGenerateContent")
        if isinstance(parsed, str):
            return error(400, parsed)
        return await serve(fake, request, parsed, GeminiFormat())

    return [
        Route("/v1beta/models", models(fake), methods=["GET"]),
        Route("/v1beta/models/{target}", generate, methods=["POST"]),
        # SDKs that default to `v1` (GET /v1/models is shared: `wire.models_by_header`).
        Route("/v1/models/{target}", generate, methods=["POST"]),
    ]


def models(fake: FakeLLM) -> Endpoint:
    """`GET /v1beta/models` (and `/v1/models` with `x-goog-api-key`) in Gemini's shape."""

    async def listing(request: Request) -> Response:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key", "")
        status = take_status_fault(fake, key)
        if status is not None:
            return error(status, status_fault(status))
        listed = [*MODELS, (f"models/{fake.state.config.model}", ["generateContent"])]
        return JSONResponse(
            {
                "models": [
                    {
                        "name": name,
                        "version": "001",
                        "displayName": name.removeprefix("models/"),
                        "inputTokenLimit": 1_048_576,
                        "outputTokenLimit": 65_536,
                        "supportedGenerationMethods": methods,
                    }
                    for name, methods in listed
                ]
            }
        )

    return listing
