"""Slide content: one structured LLM call per slide, validated against the layout schema.

An answer that does not validate gets one repair round trip (the model sees its answer
and the errors); if that still fails, the content is fitted to the schema deterministically
(truncation, dropped extras) and must validate then, or the slide fails with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import json_repair

from slidestream.domain.layouts import SlideLayoutModel
from slidestream.generation.prompts import VERBOSITY_RULES, language_text, now_text, render
from slidestream.generation.schema_fit import (
    fill_asset_placeholders,
    fit_to_schema,
    llm_schema_for,
    speaker_note_of,
    validation_errors,
)
from slidestream.llm.base import LLMError, LLMProvider, Message

IMAGE_PLACEHOLDER = "/static/images/placeholder.svg"
ICON_PLACEHOLDER = "/static/icons/placeholder.svg"


class SlideContentError(LLMError):
    """The model's answer could not be turned into content for the layout."""


@dataclass(frozen=True)
class SlideRequest:
    outline: str
    layout: SlideLayoutModel
    language: str
    tone: str
    verbosity: str
    instructions: str | None = None
    extra_prompt: str | None = None


@dataclass(frozen=True)
class SlideContent:
    content: dict[str, Any]
    speaker_note: str


def slide_messages(request: SlideRequest) -> list[Message]:
    system = render(
        "slide_system",
        verbosity_rule=VERBOSITY_RULES.get(request.verbosity, VERBOSITY_RULES["standard"]),
        tone=request.tone,
        language=language_text(request.language),
        instructions=f"- Follow these instructions: {request.instructions}"
        if request.instructions
        else "",
    )
    user = render(
        "slide_user",
        now=now_text(),
        language=language_text(request.language),
        outline=request.outline,
        extra=f"\nAlso: {request.extra_prompt}" if request.extra_prompt else "",
    )
    return [Message("system", system), Message("user", user)]


def _parse(text: str) -> Any:
    try:
        return json_repair.loads(text)
    except Exception:
        return None


async def generate_slide_content(provider: LLMProvider, request: SlideRequest) -> SlideContent:
    """Ask the model for one slide's content and make sure it fits the layout's schema."""
    schema = llm_schema_for(request.layout.json_schema)
    messages = slide_messages(request)
    answer = await provider.complete_json(messages, schema, "slide")
    content = _parse(answer)
    errors = validation_errors(content, schema)
    if errors:
        repair = [
            *messages,
            Message("assistant", answer),
            Message("user", render("repair_user", errors="\n".join(f"- {e}" for e in errors))),
        ]
        answer = await provider.complete_json(repair, schema, "slide")
        content = _parse(answer)
        if validation_errors(content, schema):
            content = fit_to_schema(content, schema)
            remaining = validation_errors(content, schema)
            if remaining:
                raise SlideContentError(
                    f"The model's slide content does not fit layout {request.layout.id!r}: "
                    + "; ".join(remaining[:3])
                )
    assert isinstance(content, dict)  # the schema's root is an object
    content = fill_asset_placeholders(content, IMAGE_PLACEHOLDER, ICON_PLACEHOLDER)
    return SlideContent(content=content, speaker_note=speaker_note_of(content))
