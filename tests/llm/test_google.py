"""The Google Gemini provider, through the official `google-genai` SDK, against the
simulated LLM's Gemini API over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from google.genai import errors as genai_errors

from slidestream.errors import LLMNotConfigured
from slidestream.llm.base import LLMError, LLMStreamInterrupted, Message
from slidestream.llm.factory import create_provider
from slidestream.llm.google import GoogleProvider, describe_google_error
from slidestream.llm.jsontext import schema_in_prompt
from slidestream.llm.retry import RetryPolicy
from slidestream.settings import Settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.provider_calls import MESSAGES, SCHEMA
from tests.support.provider_decks import generate_deck
from tests.support.servers import free_port


def provider_for(url: str, **overrides: Any) -> GoogleProvider:
    options: dict[str, Any] = {
        "api_key": "test-key",
        "model": "models/gemini-2.5-flash",
        "base_url": url,
        "timeout": 30.0,
        "retry": RetryPolicy(attempts=4, initial=0.01, maximum=0.02),
    }
    options.update(overrides)
    return GoogleProvider(**options)


@pytest.fixture
async def provider(fake_llm: FakeLLMHandle) -> AsyncIterator[GoogleProvider]:
    created = provider_for(fake_llm.url)
    yield created
    await created.aclose()


async def test_stream_json_yields_deltas_that_form_the_answer(
    provider: GoogleProvider, fake_llm: FakeLLMHandle
) -> None:
    deltas = [d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")]
    assert len(deltas) > 1
    jsonschema.validate(json.loads("".join(deltas)), SCHEMA)
    [call] = fake_llm.calls()
    assert call["wire"] == "gemini" and call["stream"] is True
    # The schema went as response_json_schema; the system message as system_instruction.
    assert call["mode"] == "json_schema"
    assert call["system"] == "Answer in JSON."
    assert call["user"] == "Solar energy MARKTEST"


async def test_complete_json_answers_in_the_schema(
    provider: GoogleProvider, fake_llm: FakeLLMHandle
) -> None:
    answer = json.loads(await provider.complete_json(MESSAGES, SCHEMA, "test"))
    jsonschema.validate(answer, SCHEMA)
    [call] = fake_llm.calls()
    assert (call["wire"], call["mode"], call["stream"]) == ("gemini", "json_schema", False)


async def test_assistant_turns_go_as_model_turns(
    provider: GoogleProvider, fake_llm: FakeLLMHandle
) -> None:
    messages = [
        Message("system", "Answer in JSON."),
        Message("user", "First question."),
        Message("assistant", "{}"),
        Message("user", "Fix it."),
    ]
    jsonschema.validate(json.loads(await provider.complete_json(messages, SCHEMA, "t")), SCHEMA)
    [call] = fake_llm.calls()
    assert call["user"] == "First question.\n\nFix it."


@pytest.mark.parametrize("streamed", [False, True])
async def test_rate_limits_overload_and_unavailability_are_retried(
    provider: GoogleProvider, fake_llm: FakeLLMHandle, streamed: bool
) -> None:
    fake_llm.add_faults({"kind": "429"}, {"kind": "529"}, {"kind": "503"})
    if streamed:
        text = "".join([d async for d in provider.stream_json(MESSAGES, SCHEMA, "test")])
    else:
        text = await provider.complete_json(MESSAGES, SCHEMA, "test")
    jsonschema.validate(json.loads(text), SCHEMA)
    assert [c["status"] for c in fake_llm.calls()] == [429, 529, 503, 200]


async def test_persistent_unavailability_gives_a_readable_error(
    provider: GoogleProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "503", "times": 10})
    with pytest.raises(LLMError) as raised:
        await provider.complete_json(MESSAGES, SCHEMA, "test")
    assert raised.value.detail.startswith("Google Gemini server error (503)")
    assert fake_llm.stats()["requests"] == 4


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_rejected_key_is_a_readable_error_without_retries(
    provider: GoogleProvider, fake_llm: FakeLLMHandle, streamed: bool
) -> None:
    fake_llm.add_faults({"kind": "401", "times": 10})
    with pytest.raises(LLMError) as raised:
        if streamed:
            async for _ in provider.stream_json(MESSAGES, SCHEMA, "test"):
                pass
        else:
            await provider.complete_json(MESSAGES, SCHEMA, "test")
    assert raised.value.detail.startswith("Google Gemini rejected the API key (401)")
    assert not raised.value.retryable
    assert fake_llm.stats()["requests"] == 1


def test_geminis_invalid_key_answer_reads_as_a_rejected_key() -> None:
    """Gemini answers a bad key with 400 INVALID_ARGUMENT rather than 401."""
    error = genai_errors.ClientError(
        400,
        {
            "error": {
                "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT",
            }
        },
    )
    described = describe_google_error(error)
    assert described.detail == (
        "Google Gemini rejected the API key (400): API key not valid. Please pass a valid API key"
    )
    assert not described.retryable


async def test_a_stream_that_breaks_off_is_reported_not_retried(
    provider: GoogleProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "truncate", "after_chars": 20})
    received = []
    with pytest.raises(LLMStreamInterrupted) as raised:
        async for delta in provider.stream_json(MESSAGES, SCHEMA, "test"):
            received.append(delta)
    assert received, "text arrived before the break"
    assert raised.value.detail.startswith("Google Gemini: the answer broke off mid-stream")
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
    assert raised.value.detail.startswith("Google Gemini could not be reached: could not connect")


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
        Settings(llm="google", google_api_key="k", google_model="models/gemini-2.5-pro")  # type: ignore[call-arg]
    )
    assert isinstance(provider, GoogleProvider)
    assert (provider.name, provider.model) == ("Google Gemini", "models/gemini-2.5-pro")
    assert provider.structured_outputs is True


def test_factory_says_the_key_is_missing() -> None:
    with pytest.raises(LLMNotConfigured) as raised:
        create_provider(Settings(llm="google"))  # type: ignore[call-arg]
    assert raised.value.detail == "LLM=google needs GOOGLE_API_KEY"
    with pytest.raises(LLMNotConfigured) as unset:
        create_provider(Settings())
    assert "LLM=google (with GOOGLE_API_KEY)" in unset.value.detail


def test_settings_read_the_google_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM", "google")
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza")
    monkeypatch.setenv("GOOGLE_BASE_URL", "http://proxy:8080")
    settings = Settings()
    assert settings.llm == "google" and settings.google_api_key == "AIza"
    assert settings.google_model == "models/gemini-2.5-flash"
    assert settings.google_base_url == "http://proxy:8080"
    assert settings.llm_structured_outputs is True


@pytest.mark.parametrize("structured", [True, False])
async def test_a_whole_deck_is_generated_with_google(
    tmp_path: Path, fake_llm: FakeLLMHandle, structured: bool
) -> None:
    deck = await generate_deck(
        tmp_path / "data",
        4,
        llm="google",
        google_api_key="test-key",
        google_base_url=fake_llm.url,
        llm_structured_outputs=structured,
    )
    assert len(deck["outline"]["slides"]) == 4
    assert [s["index"] for s in deck["slides"]] == [0, 1, 2, 3]
    assert len(deck["presentation"]["slides"]) == 4
    calls = fake_llm.calls()
    assert {c["wire"] for c in calls} == {"gemini"}
    assert {c["status"] for c in calls} == {200}
    assert {c["mode"] for c in calls} == ({"json_schema"} if structured else {"text"})
    assert [c["stream"] for c in calls].count(True) == 1
    assert len(calls) >= 5
