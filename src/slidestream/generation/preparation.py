"""Preparing a deck: a layout for every outline item, table-of-contents slides, and a
clean slate of slides. Shared by `/prepare` and one-shot generation."""

from __future__ import annotations

from slidestream.domain.layouts import PresentationLayoutModel
from slidestream.generation.engines import Engine
from slidestream.generation.outline import title_from_outline
from slidestream.generation.toc import insert_toc
from slidestream.storage.models import PresentationRow
from slidestream.storage.repository import Repository


async def prepare_deck(
    repository: Repository,
    engine: Engine,
    row: PresentationRow,
    layout: PresentationLayoutModel,
    contents: list[str],
    title: str | None,
) -> None:
    structure = await engine.choose_structure(layout, contents)
    if row.include_table_of_contents:
        contents, structure = insert_toc(
            contents, structure, layout, row.n_slides, row.include_title_slide
        )
    # A new structure makes a new deck: stored slides would not match it.
    await repository.delete_slides(row.id)
    await repository.update_presentation(
        row.id,
        {
            "outlines": {"slides": [{"content": c} for c in contents]},
            "layout": layout.model_dump(mode="json"),
            "structure": {"slides": structure},
            "title": title or row.title or title_from_outline(contents),
            "deck_status": "none",
            "deck_error": None,
        },
    )
