"""The OpenAI-compatible provider against the simulated LLM over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import jsonschema
import pytest

from slidestream.errors import LLMNotConfigured
from slidestream.llm.base import LLMError, LLMStreamInterrupted
from slidestream.llm.factory import create_provider
from slidestream.llm.openai_compat import OpenAICompatibleProvider, strict_schema
from slidestream.llm.retry import RetryPolicy
from slidestream.settings import Settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.provider_calls import MESSAGES, SCHEMA
from tests.support.servers import free_port


def provider_for(url: str, **overrides: Any) -> OpenAICompatibleProvider:
    options: dict[str, Any] = {
        "name": "Custom LLM",
        "base_url": url,
        "api_key": "test",
        "model": "slidestream-fake",
        "timeout": 30.0,
        "retry": RetryPolicy(attempts=3, initial=0.01, maximum=0.02),
    }
    options.update(overrides)
    return OpenAICompatibleProvider(**options)


@pytest.fixture
async def provider(fake_llm: FakeLLMHandle) -> AsyncIterator[OpenAICompatibleProvider]:
    created = provider_for(fake_llm.api_url)
    yield created
    await created.aclose()


async def test_complete_json_answers_in_the_schema(provider: OpenAICompatibleProvider) -> None:
    answer = json.loads(await provider.complete_json(MESSAGES, SCHEMA, "test"))
    jsonschema.validate(answer, SCHEMA)


async def test_tool_call_mode_reads_the_function_arguments(fake_llm: FakeLLMHandle) -> None:
    provider = provider_for(fake_llm.api_url, tool_calls=True)
    try:
        answer = json.loads(await provider.complete_json(MESSAGES, SCHEMA, "test"))
        streamed = "".join([d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")])
    finally:
        await provider.aclose()
    jsonschema.validate(answer, SCHEMA)
    jsonschema.validate(json.loads(streamed), SCHEMA)
    assert {c["mode"] for c in fake_llm.calls()} == {"tools"}


async def test_stream_json_yields_deltas_that_form_the_answer(
    provider: OpenAICompatibleProvider, fake_llm: FakeLLMHandle
) -> None:
    deltas = [d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")]
    assert len(deltas) > 1
    jsonschema.validate(json.loads("".join(deltas)), SCHEMA)
    assert fake_llm.calls()[-1]["stream"] is True


async def test_transient_errors_are_retried(
    provider: OpenAICompatibleProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "429", "times": 1}, {"kind": "500", "times": 1})
    answer = json.loads(await provider.complete_json(MESSAGES, SCHEMA, "test"))
    jsonschema.validate(answer, SCHEMA)
    assert [c["status"] for c in fake_llm.calls()] == [429, 500, 200]


async def test_persistent_failure_gives_a_readable_error(
    provider: OpenAICompatibleProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "500", "times": 10})
    with pytest.raises(LLMError) as raised:
        await provider.complete_json(MESSAGES, SCHEMA, "test")
    assert raised.value.detail.startswith("Custom LLM API error: Error code: 500")
    assert fake_llm.stats()["requests"] == 3


async def test_streams_are_retried_before_the_first_byte(
    provider: OpenAICompatibleProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "429", "times": 2})
    text = "".join([d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")])
    jsonschema.validate(json.loads(text), SCHEMA)


async def test_a_stream_that_breaks_off_is_reported_not_retried(
    provider: OpenAICompatibleProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "truncate", "times": 1, "after_chars": 20})
    received = []
    with pytest.raises(LLMError) as raised:
        async for delta in provider.stream_json(MESSAGES, SCHEMA, "test"):
            received.append(delta)
    assert received, "text arrived before the break"
    assert isinstance(raised.value, LLMStreamInterrupted)
    assert fake_llm.stats()["requests"] == 1


async def test_connection_refused_is_a_clear_error() -> None:
    provider = provider_for(
        f"http://127.0.0.1:{free_port()}/v1",
        retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02),
    )
    try:
        with pytest.raises(LLMError) as raised:
            await provider.complete_json(MESSAGES, SCHEMA, "test")
    finally:
        await provider.aclose()
    assert "could not connect" in raised.value.detail


async def test_a_stalled_call_times_out(fake_llm: FakeLLMHandle) -> None:
    fake_llm.add_faults({"kind": "stall", "times": 1})
    provider = provider_for(
        fake_llm.api_url, timeout=0.5, retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02)
    )
    try:
        answer = await provider.complete_json(MESSAGES, SCHEMA, "test")
    finally:
        await provider.aclose()
    jsonschema.validate(json.loads(answer), SCHEMA)
    assert [c["status"] for c in fake_llm.calls()][-1] == 200
    assert fake_llm.stats()["requests"] == 2


async def test_disable_thinking_is_sent(fake_llm: FakeLLMHandle) -> None:
    provider = provider_for(fake_llm.api_url, disable_thinking=True)
    try:
        await provider.complete_json(MESSAGES, SCHEMA, "test")
    finally:
        await provider.aclose()
    assert fake_llm.calls()[-1]["enable_thinking"] is False


def test_strict_schema_closes_objects_and_requires_everything() -> None:
    schema = strict_schema(
        {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {}}}}}
    )
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["a"]
    assert schema["properties"]["a"]["required"] == ["b"]


@pytest.mark.parametrize(
    ("env", "name", "model", "base_url"),
    [
        ({"llm": "openai", "openai_api_key": "k"}, "OpenAI", "gpt-4.1", None),
        (
            {"llm": "custom", "custom_llm_url": "http://h:1/v1", "custom_model": "m"},
            "Custom LLM",
            "m",
            "http://h:1/v1/",
        ),
        (
            {"llm": "ollama", "ollama_model": "llama3"},
            "Ollama",
            "llama3",
            "http://localhost:11434/v1/",
        ),
    ],
)
def test_factory_reads_presenton_settings(
    env: dict[str, str], name: str, model: str, base_url: str | None
) -> None:
    provider = create_provider(Settings(**env))  # type: ignore[arg-type]
    assert isinstance(provider, OpenAICompatibleProvider)
    assert (provider.name, provider.model) == (name, model)
    if base_url:
        assert str(provider._client.base_url) == base_url


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "No LLM provider is configured"),
        ({"llm": "openai"}, "OPENAI_API_KEY"),
        ({"llm": "custom", "custom_llm_url": "http://h"}, "CUSTOM_MODEL"),
        ({"llm": "ollama"}, "OLLAMA_MODEL"),
    ],
)
def test_factory_says_what_is_missing(env: dict[str, str], message: str) -> None:
    with pytest.raises(LLMNotConfigured) as raised:
        create_provider(Settings(**env))  # type: ignore[arg-type]
    assert message in raised.value.detail


def test_settings_read_presenton_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM", "custom")
    monkeypatch.setenv("CUSTOM_LLM_URL", "http://x/v1")
    monkeypatch.setenv("CUSTOM_MODEL", "qwen")
    monkeypatch.setenv("TOOL_CALLS", "true")
    monkeypatch.setenv("DISABLE_THINKING", "true")
    monkeypatch.setenv("SLIDESTREAM_SLIDE_CONCURRENCY", "7")
    settings = Settings()
    assert settings.llm == "custom" and settings.custom_model == "qwen"
    assert settings.tool_calls and settings.disable_thinking
    assert settings.slide_concurrency == 7
