"""The two engines that draft decks: an LLM provider, or the offline engine.

The pipeline asks an engine for three things: the outline (streamed as JSON text), the
layout for each slide, and each slide's content. `LLMEngine` asks the configured
provider; `OfflineEngine` drafts extractively from the prompt and the attached documents
without any network. Which one runs is a setting (`LLM=offline`, or no `LLM` at all).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, Protocol

from slidestream.domain.layouts import PresentationLayoutModel
from slidestream.errors import SlidestreamError
from slidestream.generation.offline.content import fill_schema
from slidestream.generation.offline.outline import Source, draft_outline
from slidestream.generation.outline import outline_messages, outline_schema
from slidestream.generation.schema_fit import (
    fill_asset_placeholders,
    fit_to_schema,
    llm_schema_for,
    speaker_note_of,
    validation_errors,
)
from slidestream.generation.slides import (
    ICON_PLACEHOLDER,
    IMAGE_PLACEHOLDER,
    SlideContent,
    SlideContentError,
    SlideRequest,
    generate_slide_content,
)
from slidestream.generation.structure import (
    heuristic_structure,
    ordered_structure,
    repair_structure,
    structure_prompt,
    structure_schema,
)
from slidestream.llm.base import LLMError, LLMProvider, Message
from slidestream.storage.models import PresentationRow

log = logging.getLogger(__name__)

Mode = Literal["llm", "offline"]
DOCUMENTS_HEADER = "Content of the attached documents:"


class Engine(Protocol):
    mode: Mode

    def stream_outline(
        self, row: PresentationRow, wanted: int, documents: Sequence[Source]
    ) -> AsyncIterator[str]:
        """The outline's JSON text (`{"slides":[{"content":...}]}`), delta by delta."""

    async def choose_structure(
        self, layout: PresentationLayoutModel, contents: list[str]
    ) -> list[int]:
        """One layout index per outline item."""

    async def slide_content(self, request: SlideRequest) -> SlideContent:
        """One slide's content, valid against its layout's schema."""


def documents_text(documents: Sequence[Source]) -> str:
    return "\n\n".join(f"## {d.name}\n{d.text}" for d in documents)


class LLMEngine:
    mode: Mode = "llm"

    def __init__(self, provider: LLMProvider) -> None:
        self.provider = provider

    def stream_outline(
        self, row: PresentationRow, wanted: int, documents: Sequence[Source]
    ) -> AsyncIterator[str]:
        messages = outline_messages(row, wanted, documents_text(documents))
        return self.provider.stream_json(messages, outline_schema(wanted), "outline")

    async def choose_structure(
        self, layout: PresentationLayoutModel, contents: list[str]
    ) -> list[int]:
        if layout.ordered:
            return ordered_structure(layout, len(contents))
        try:
            system, user = structure_prompt(layout, contents)
            answer = await self.provider.complete_json(
                [Message("system", system), Message("user", user)],
                structure_schema(len(contents), len(layout.slides)),
                "structure",
                strict=True,
            )
            raw: Any = json.loads(answer)
        except (LLMError, SlidestreamError, ValueError) as error:
            log.warning("structure.fallback reason=%s", error)
            return heuristic_structure(layout, contents)
        return repair_structure(raw, layout, contents)

    async def slide_content(self, request: SlideRequest) -> SlideContent:
        return await generate_slide_content(self.provider, request)


class OfflineEngine:
    """Extractive drafts: deterministic for the same input, no network."""

    mode: Mode = "offline"
    chunk_chars = 48

    async def stream_outline(
        self, row: PresentationRow, wanted: int, documents: Sequence[Source]
    ) -> AsyncIterator[str]:
        items = await asyncio.to_thread(
            draft_outline,
            row.content,
            documents,
            wanted,
            include_title_slide=row.include_title_slide,
            verbosity=row.verbosity,
        )
        text = json.dumps({"slides": [{"content": c} for c in items]}, ensure_ascii=False)
        for start in range(0, len(text), self.chunk_chars):
            yield text[start : start + self.chunk_chars]
            await asyncio.sleep(0)

    async def choose_structure(
        self, layout: PresentationLayoutModel, contents: list[str]
    ) -> list[int]:
        if layout.ordered:
            return ordered_structure(layout, len(contents))
        return heuristic_structure(layout, contents)

    async def slide_content(self, request: SlideRequest) -> SlideContent:
        schema = llm_schema_for(request.layout.json_schema)
        content: Any = fit_to_schema(fill_schema(schema, request.outline), schema)
        errors = validation_errors(content, schema)
        if errors or not isinstance(content, dict):
            raise SlideContentError(
                f"The offline engine could not fill layout {request.layout.id!r}: "
                + "; ".join(errors[:3])
            )
        content = fill_asset_placeholders(content, IMAGE_PLACEHOLDER, ICON_PLACEHOLDER)
        return SlideContent(content=content, speaker_note=speaker_note_of(content))
