"""Outline generation: one streamed structured LLM call, parsed leniently at the end."""

from __future__ import annotations

import re
from typing import Any

import json_repair

from slidestream.generation.prompts import language_text, now_text, render
from slidestream.llm.base import Message
from slidestream.storage.models import PresentationRow

OUTLINE_MIN_CHARS = 50
OUTLINE_MAX_CHARS = 600
TITLE_MAX_CHARS = 100


class OutlineParseError(ValueError):
    pass


def outline_schema(n: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "slides": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "content": {
                            "type": "string",
                            "minLength": OUTLINE_MIN_CHARS,
                            "maxLength": OUTLINE_MAX_CHARS,
                        }
                    },
                    "required": ["content"],
                },
                "minItems": n,
                "maxItems": n,
            }
        },
        "required": ["slides"],
    }


def outline_messages(row: PresentationRow, n_outlines: int, documents: str = "") -> list[Message]:
    title_rule = (
        "- The first slide is the title slide: the presentation's title and a one-line subtitle."
        if row.include_title_slide
        else "- Do not write a title slide; start with content."
    )
    instructions = f"- Follow these instructions: {row.instructions}" if row.instructions else ""
    language = language_text(row.language)
    system = render(
        "outline_system",
        n_slides=n_outlines,
        title_rule=title_rule,
        tone=row.tone,
        verbosity=row.verbosity,
        language=language,
        instructions=instructions,
    )
    user = render(
        "outline_user",
        content=row.content or "(no topic given: use the documents)",
        n_slides=n_outlines,
        language=language,
        now=now_text(),
        documents=f"Additional information:\n{documents}" if documents else "",
    )
    return [Message("system", system), Message("user", user)]


def parse_outline(text: str, wanted: int) -> list[str]:
    """Slide contents from the streamed text; tolerant of the usual model sloppiness."""
    try:
        data = json_repair.loads(text)
    except Exception as error:  # json_repair raises rarely, but any failure is a parse error
        raise OutlineParseError(str(error)) from error
    items: Any = data.get("slides") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise OutlineParseError("the answer has no list of slides")
    contents: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("content")
        if isinstance(item, str) and item.strip():
            contents.append(item.strip())
    if not contents:
        raise OutlineParseError("the answer has no slide content")
    return contents[:wanted]


def title_from_outline(contents: list[str]) -> str | None:
    """Presenton's rule (first outline, markup stripped, 100 chars), without its stray spaces."""
    if not contents:
        return None
    first_line = next((line for line in contents[0].splitlines() if line.strip()), "")
    title = re.sub(r"[#/\\*_`]", "", first_line).strip()
    return title[:TITLE_MAX_CHARS] or None
