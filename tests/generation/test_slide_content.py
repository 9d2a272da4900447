"""Slide content generation: schema validation, one repair round trip, then fitting."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from slidestream.domain.layouts import SlideLayoutModel
from slidestream.generation.schema_fit import (
    content_schema_for,
    llm_schema_for,
    validation_errors,
)
from slidestream.generation.slides import (
    IMAGE_PLACEHOLDER,
    SlideContentError,
    SlideRequest,
    generate_slide_content,
)
from slidestream.llm.base import Message
from slidestream.llm.openai_compat import OpenAICompatibleProvider
from slidestream.llm.retry import RetryPolicy
from slidestream.templates.registry import get_layout_group
from tests.support.fake_llm import FakeLLMHandle

MARK = "SLIDETEST"


@pytest.fixture
async def provider(fake_llm: FakeLLMHandle) -> AsyncIterator[OpenAICompatibleProvider]:
    created = OpenAICompatibleProvider(
        name="Custom LLM",
        base_url=fake_llm.api_url,
        api_key="x",
        model="slidestream-fake",
        timeout=30,
        retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02),
    )
    yield created
    await created.aclose()


def request_for(layout: SlideLayoutModel) -> SlideRequest:
    return SlideRequest(
        outline=f"# Solar {MARK}\n\n- Panels got cheaper\n- Storage matters",
        layout=layout,
        language="English",
        tone="professional",
        verbosity="standard",
    )


@pytest.mark.parametrize("layout", get_layout_group("general").slides, ids=lambda s: s.id)
async def test_every_built_in_layout_gets_valid_content(
    provider: OpenAICompatibleProvider, layout: SlideLayoutModel
) -> None:
    result = await generate_slide_content(provider, request_for(layout))
    assert validation_errors(result.content, content_schema_for(layout.json_schema)) == []
    assert result.speaker_note == result.content["__speaker_note__"].strip()


async def test_image_fields_get_a_placeholder_url(provider: OpenAICompatibleProvider) -> None:
    layouts = get_layout_group("general").slides
    with_image = next(s for s in layouts if "__image_prompt__" in str(s.json_schema))
    result = await generate_slide_content(provider, request_for(with_image))
    assert IMAGE_PLACEHOLDER in str(result.content)


async def test_an_invalid_answer_gets_one_repair_round_trip(
    provider: OpenAICompatibleProvider, fake_llm: FakeLLMHandle
) -> None:
    fake_llm.add_faults({"kind": "invalid_json", "times": 1, "match": MARK})
    layout = get_layout_group("general").slides[2]
    result = await generate_slide_content(provider, request_for(layout))
    assert validation_errors(result.content, llm_schema_for(layout.json_schema)) == []
    calls = fake_llm.calls_mentioning(MARK)
    assert len(calls) == 2
    assert "does not match the required JSON schema" in calls[1]["user"]


class _Scripted:
    """A provider whose answers are fixed: for the paths a real model rarely takes."""

    name = "Scripted"
    model = "scripted"

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.seen: list[list[Message]] = []

    async def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
        *,
        strict: bool = False,
    ) -> str:
        self.seen.append(messages)
        return self.answers.pop(0)

    def stream_json(self, *args: Any) -> AsyncIterator[str]:  # pragma: no cover - unused
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


LAYOUT = SlideLayoutModel(
    id="t:bullets",
    json_schema={
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 20},
            "bullets": {
                "type": "array",
                "items": {"type": "string", "maxLength": 30},
                "minItems": 1,
                "maxItems": 2,
            },
        },
        "required": ["title", "bullets"],
        "additionalProperties": False,
    },
)


async def test_content_still_too_long_after_repair_is_fitted() -> None:
    long = json.dumps(
        {
            "title": "A title that is much too long for the box",
            "bullets": ["a", "b", "c"],
            "__speaker_note__": "Say something useful about this slide to the audience now.",
        }
    )
    provider = _Scripted([long, long])
    result = await generate_slide_content(provider, request_for(LAYOUT))  # type: ignore[arg-type]
    assert len(result.content["title"]) <= 20
    assert len(result.content["bullets"]) == 2
    assert len(provider.seen) == 2


async def test_content_that_cannot_be_fitted_fails_clearly() -> None:
    provider = _Scripted(["not json at all", "[1, 2, 3]"])
    with pytest.raises(SlideContentError) as raised:
        await generate_slide_content(provider, request_for(LAYOUT))  # type: ignore[arg-type]
    assert "t:bullets" in raised.value.detail
