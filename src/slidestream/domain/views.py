"""Stored rows -> the JSON shapes the API and the streams send."""

from __future__ import annotations

import json
from typing import Any

from slidestream.domain.presentations import (
    GenerationState,
    PresentationModel,
    PresentationWithSlides,
    SlideModel,
)
from slidestream.storage.models import PresentationRow, SlideRow


def generation_state(row: PresentationRow) -> GenerationState:
    return GenerationState(
        outline_status=row.outline_status,
        outline_run=row.outline_run,
        deck_status=row.deck_status,
        deck_run=row.deck_run,
        error=row.deck_error if row.deck_status in ("failed", "cancelled") else row.outline_error,
        offline_draft=row.generation_mode == "offline",
    )


def presentation_model(row: PresentationRow) -> PresentationModel:
    return PresentationModel(
        id=row.id,
        content=row.content,
        n_slides=row.n_slides,
        language=row.language,
        file_paths=row.file_paths,
        instructions=row.instructions,
        tone=row.tone,
        verbosity=row.verbosity,
        include_table_of_contents=row.include_table_of_contents,
        include_title_slide=row.include_title_slide,
        web_search=row.web_search,
        title=row.title,
        outlines=row.outlines,
        layout=row.layout,
        structure=row.structure,
        created_at=row.created_at,
        updated_at=row.updated_at,
        generation_mode="offline" if row.generation_mode == "offline" else "llm",
        generation=generation_state(row),
    )


def slide_model(row: SlideRow) -> SlideModel:
    return SlideModel.model_validate(row)


def presentation_with_slides(
    row: PresentationRow, slides: list[SlideRow]
) -> PresentationWithSlides:
    return PresentationWithSlides(
        id=row.id,
        content=row.content,
        n_slides=row.n_slides,
        language=row.language,
        title=row.title,
        created_at=row.created_at,
        updated_at=row.updated_at,
        tone=row.tone,
        verbosity=row.verbosity,
        slides=[slide_model(s) for s in sorted(slides, key=lambda s: s.index)],
        generation_mode="offline" if row.generation_mode == "offline" else "llm",
        generation=generation_state(row),
    )


def slide_chunk_json(row: SlideRow) -> str:
    """A slide as Presenton streams it: compact JSON with the keys set at creation."""
    data: dict[str, Any] = {
        "presentation": str(row.presentation),
        "layout_group": row.layout_group,
        "layout": row.layout,
        "index": row.index,
        "content": row.content,
        "speaker_note": row.speaker_note,
        "id": str(row.id),
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
