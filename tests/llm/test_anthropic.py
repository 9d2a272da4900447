"""The Anthropic provider, through the official SDK, against the simulated LLM's
Messages API over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from slidestream.errors import LLMNotConfigured
from slidestream.llm.anthropic import AnthropicProvider
from slidestream.llm.base import LLMError, LLMStreamInterrupted, Message
from slidestream.llm.factory import create_provider
from slidestream.llm.jsontext import schema_in_prompt
from slidestream.llm.retry import RetryPolicy
from slidestream.settings import Settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.provider_calls import MESSAGES, SCHEMA
from tests.support.provider_decks import generate_deck
from tests.support.servers import free_port


def provider_for(url: str, **overrides: Any) -> AnthropicProvider:
    options: dict[str, Any] = {
        "api_key": "test-key",
        "model": "claude-sonnet-4-20250514",
        "base_url": url,
        "timeout": 30.0,
        "retry": RetryPolicy(attempts=4, initial=0.01, maximum=0.02),
    }
    options.update(overrides)
    return AnthropicProvider(**options)


@pytest.fixture
async def provider(fake_llm: FakeLLMHandle) -> AsyncIterator[AnthropicProvider]:
    created = provider_for(fake_llm.url)
    yield created
    await created.aclose()


async def test_stream_json_yields_the_tool_input_deltas(
    provider: AnthropicProvider, fake_llm: FakeLLMHandle
) -> None:
    deltas = [d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")]
    assert len(deltas) > 1
    jsonschema.validate(json.loads("".join(deltas)), SCHEMA)
    [call] = fake_llm.calls()
    assert call["wire"] == "anthropic" and call["stream"] is True
    # A forced tool carried the schema; the system message went to `system=`.
    assert call["mode"] == "tools" and call["schema_name"] == "ResponseSchema"
    assert call["system"] == "Answer in JSON."
    assert call["user"] == "Solar energy MARKTEST"


async def test_complete_json_answers_in_the_schema(
    provider: AnthropicProvider, fake_llm: FakeLLMHandle
) -> None:
    answer = json.loads(await provider.complete_json(MESSAGES, SCHEMA, "test"))
    jsonschema.validate(answer, SCHEMA)
    [call] = fake_llm.calls()
    assert (call["wire"], call["mode"], call["stream"]) == ("anthropic", "tools", False)


async def test_consecutive_turns_of_one_role_are_joined(
    provider: AnthropicProvider, fake_llm: FakeLLMHandle
) -> None:
    messages = [
        Message("system", "Rule one."),
        Message("system", "Rule two."),
        Message("user", "First part."),
        Message("user", "Second part."),
    ]
    jsonschema.validate(json.loads(await provider.complete_json(messages, SCHEMA, "t")), SCHEMA)
    [call] = fake_llm.calls()
    assert call["system"] == "Rule one.\n\nRule two."
    assert call["user"] == "First part.\n\nSecond part."


@pytest.mark.parametrize("streamed", [False, True])
async def test_rate_limits_overload_and_unavailability_are_retried(
    provider: AnthropicProvider, fake_llm: FakeLLMHandle, streamed: bool
) -> None:
    fake_llm.add_faults({"kind": "429"}, {"kind": "529"}, {"kind": "503"})
    if streamed:
        text = "".join([d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")])
    else:
        text = await provider.complete_json(MESSAGES, SCHEMA, "test")
    jsonschema.validate(json.loads(text), SCHEMA)
    assert [c["status"] for c in fake_llm.calls()] == [429, 529, 503, 200]


async def test_persistent_overload_gives_a_readable_error(
    provider: AnthropicProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "529", "times": 10})
    with pytest.raises(LLMError) as raised:
        await provider.complete_json(MESSAGES, SCHEMA, "test")
    assert raised.value.detail.startswith("Anthropic is overloaded (529)")
    assert fake_llm.stats()["requests"] == 4


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_rejected_key_is_a_readable_error_without_retries(
    provider: AnthropicProvider, fake_llm: FakeLLMHandle, streamed: bool
) -> None:
    fake_llm.add_faults({"kind": "401", "times": 10})
    with pytest.raises(LLMError) as raised:
        if streamed:
            async for _ in provider.stream_json(MESSAGES, SCHEMA, "test"):
                pass
        else:
            await provider.complete_json(MESSAGES, SCHEMA, "test")
    assert raised.value.detail.startswith("Anthropic rejected the API key (401)")
    assert not raised.value.retryable
    assert fake_llm.stats()["requests"] == 1


async def test_a_stream_that_breaks_off_is_reported_not_retried(
    provider: AnthropicProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "truncate", "after_chars": 20})
    received = []
    with pytest.raises(LLMStreamInterrupted) as raised:
        async for delta in provider.stream_json(MESSAGES, SCHEMA, "test"):
            received.append(delta)
    assert received, "text arrived before the break"
    assert raised.value.detail.startswith("Anthropic: the answer broke off mid-stream")
    assert fake_llm.stats()["requests"] == 1


async def test_without_structured_outputs_the_fenced_json_is_read(
    fake_llm: FakeLLMHandle,
) -> None:
    provider = provider_for(fake_llm.url, structured_outputs=False)
    try:
        answer = await provider.complete_json(MESSAGES, SCHEMA, "test")
        deltas = [d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")]
    finally:
        await provider.aclose()
    jsonschema.validate(json.loads(answer), SCHEMA)
    jsonschema.validate(json.loads("".join(deltas)), SCHEMA)
    assert len(deltas) > 1
    calls = fake_llm.calls()
    assert [c["mode"] for c in calls] == ["text", "text"]
    assert all(schema_in_prompt(c["user"]) == SCHEMA for c in calls)


async def test_connection_refused_is_a_clear_error() -> None:
    provider = provider_for(
        f"http://127.0.0.1:{free_port()}", retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02)
    )
    try:
        with pytest.raises(LLMError) as raised:
            await provider.complete_json(MESSAGES, SCHEMA, "test")
    finally:
        await provider.aclose()
    assert raised.value.detail.startswith("Anthropic could not be reached: could not connect")


async def test_a_stalled_call_times_out_and_is_retried(fake_llm: FakeLLMHandle) -> None:
    fake_llm.add_faults({"kind": "stall"})
    provider = provider_for(
        fake_llm.url, timeout=0.5, retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02)
    )
    try:
        answer = await provider.complete_json(MESSAGES, SCHEMA, "test")
    finally:
        await provider.aclose()
    jsonschema.validate(json.loads(answer), SCHEMA)
    assert fake_llm.stats()["requests"] == 2


def test_factory_builds_it_from_presenton_settings() -> None:
    provider = create_provider(
        Settings(
            llm="anthropic",
            anthropic_api_key="k",
            anthropic_base_url="http://h:1",
            llm_structured_outputs=False,
        )  # type: ignore[call-arg]
    )
    assert isinstance(provider, AnthropicProvider)
    assert (provider.name, provider.model) == ("Anthropic", "claude-sonnet-4-20250514")
    assert provider.structured_outputs is False
    assert str(provider._client.base_url).rstrip("/") == "http://h:1"


def test_factory_says_the_key_is_missing() -> None:
    with pytest.raises(LLMNotConfigured) as raised:
        create_provider(Settings(llm="anthropic"))  # type: ignore[call-arg]
    assert raised.value.detail == "LLM=anthropic needs ANTHROPIC_API_KEY"
    with pytest.raises(LLMNotConfigured) as unset:
        create_provider(Settings())
    assert "LLM=anthropic (with ANTHROPIC_API_KEY)" in unset.value.detail


def test_settings_read_the_anthropic_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM", "Anthropic")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-3-5-haiku-20241022")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy:8080")
    monkeypatch.setenv("LLM_STRUCTURED_OUTPUTS", "false")
    settings = Settings()
    assert settings.llm == "anthropic" and settings.anthropic_api_key == "sk-ant"
    assert settings.anthropic_model == "claude-3-5-haiku-20241022"
    assert settings.anthropic_base_url == "http://proxy:8080"
    assert settings.llm_structured_outputs is False


@pytest.mark.parametrize("structured", [True, False])
async def test_a_whole_deck_is_generated_with_anthropic(
    tmp_path: Path, fake_llm: FakeLLMHandle, structured: bool
) -> None:
    deck = await generate_deck(
        tmp_path / "data",
        4,
        llm="anthropic",
        anthropic_api_key="test-key",
        anthropic_base_url=fake_llm.url,
        llm_structured_outputs=structured,
    )
    assert len(deck["outline"]["slides"]) == 4
    assert [s["index"] for s in deck["slides"]] == [0, 1, 2, 3]
    assert len(deck["presentation"]["slides"]) == 4
    calls = fake_llm.calls()
    assert {c["wire"] for c in calls} == {"anthropic"}
    assert {c["status"] for c in calls} == {200}
    assert {c["mode"] for c in calls} == ({"tools"} if structured else {"text"})
    # The outline was streamed; the structure and the four slides were single answers.
    assert [c["stream"] for c in calls].count(True) == 1
    assert len(calls) >= 5
