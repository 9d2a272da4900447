"""Reading the JSON out of a model's answer when structured outputs are off."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from slidestream.llm.base import Message
from slidestream.llm.jsontext import (
    JsonTextStream,
    extract_json_text,
    schema_in_prompt,
    with_json_instruction,
)
from slidestream.llm.openai_compat import OpenAICompatibleProvider
from slidestream.llm.retry import RetryPolicy
from tests.support.fake_llm import FakeLLMHandle

OBJECT = {"title": 'A {tricky} "title" with ``` inside', "points": ["one", "two}"]}
OBJECT_TEXT = json.dumps(OBJECT, indent=2)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 40},
        "points": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 3},
    },
    "required": ["title", "points"],
}

ANSWERS = [
    pytest.param(OBJECT_TEXT, id="bare"),
    pytest.param(f"```json\n{OBJECT_TEXT}\n```", id="fenced"),
    pytest.param(f"Sure! Here it is:\n\n```json\n{OBJECT_TEXT}\n```\nAnything else?", id="chatty"),
    pytest.param(f"```\n{OBJECT_TEXT}\n```", id="fence-without-language"),
    pytest.param(f"The answer is {OBJECT_TEXT} as requested.", id="inline"),
    pytest.param(f"Note {{this}} first. {OBJECT_TEXT}", id="a-brace-before-the-object"),
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_extract_finds_the_object(answer: str) -> None:
    assert json.loads(extract_json_text(answer)) == OBJECT


@pytest.mark.parametrize("answer", ANSWERS[:4])
@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_the_stream_passes_the_object_through_piece_by_piece(answer: str, size: int) -> None:
    stream = JsonTextStream()
    out = [stream.feed(answer[i : i + size]) for i in range(0, len(answer), size)]
    out.append(stream.finish())
    assert json.loads("".join(out)) == OBJECT
    assert stream.done
    if size == 1:
        # The object's text goes out as it arrives, not all at the end.
        assert sum(1 for piece in out if piece) > 10


@pytest.mark.parametrize("answer", ANSWERS[4:])
@pytest.mark.parametrize("size", [1, 7])
def test_an_object_inside_a_sentence_is_extracted_at_the_end(answer: str, size: int) -> None:
    # A brace in running text may be prose ("fill in {slides}"): such an answer is not
    # streamed, but its object is still found once the answer is complete.
    stream = JsonTextStream()
    out = [stream.feed(answer[i : i + size]) for i in range(0, len(answer), size)]
    assert "".join(out) == ""
    assert json.loads(stream.finish()) == OBJECT


def test_a_cut_off_answer_is_returned_for_repair() -> None:
    cut = "```json\n" + OBJECT_TEXT[:30]
    assert extract_json_text(cut) == OBJECT_TEXT[:30].strip()
    stream = JsonTextStream()
    assert stream.feed(cut) + stream.finish() == OBJECT_TEXT[:30]
    assert not stream.done


def test_an_answer_without_json_is_passed_on() -> None:
    assert extract_json_text("  I cannot help with that.  ") == "I cannot help with that."
    stream = JsonTextStream()
    assert stream.feed("I cannot ") == ""
    assert stream.feed("help.") == ""
    assert stream.finish() == "I cannot help."


def test_the_instruction_carries_the_schema_on_the_last_message() -> None:
    messages = [Message("system", "Be brief."), Message("user", "Solar energy")]
    asked = with_json_instruction(messages, SCHEMA)
    assert asked[0] == messages[0]
    assert asked[1].role == "user" and asked[1].content.startswith("Solar energy\n\n")
    assert "```json" in asked[1].content
    assert schema_in_prompt(asked[1].content) == SCHEMA
    assert schema_in_prompt("no schema here") is None


async def test_openai_compatible_provider_without_structured_outputs(
    fake_llm: FakeLLMHandle,
) -> None:
    provider = OpenAICompatibleProvider(
        name="Custom LLM",
        base_url=fake_llm.api_url,
        api_key="test",
        model="slidestream-fake",
        timeout=30.0,
        retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02),
        tool_calls=True,
        structured_outputs=False,
    )
    messages = [Message("system", "Answer in JSON."), Message("user", "Solar energy")]
    try:
        answer = await provider.complete_json(messages, SCHEMA, "test")
        streamed = [d async for d in provider.stream_json(messages, SCHEMA, "test")]
    finally:
        await provider.aclose()
    json.loads(answer)
    json.loads("".join(streamed))
    calls = fake_llm.calls()
    # Neither response_format nor tools went out: the schema was in the prompt instead.
    assert [c["mode"] for c in calls] == ["text", "text"]
    assert all(schema_in_prompt(c["user"]) == SCHEMA for c in calls)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_stream_skips_a_brace_inside_the_preamble() -> None:
    stream = JsonTextStream()
    answer = "I'll fill in {slides} as asked:\n```json\n" + '{"slides": [1]}' + "\n```\n"
    pieces = [stream.feed(answer[i : i + 5]) for i in range(0, len(answer), 5)]
    assert "".join(pieces) + stream.finish() == '{"slides": [1]}'


def test_stream_takes_bare_json_and_json_after_a_fence_on_one_line() -> None:
    for answer in ('{"a": 1}', '```json {"a": 1}```', '  \n  {"a": 1} trailing words'):
        stream = JsonTextStream()
        assert stream.feed(answer) + stream.finish() == '{"a": 1}', answer
