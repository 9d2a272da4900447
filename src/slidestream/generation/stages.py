"""Ending a generation's open stages, so readers get a terminal frame and edits unlock."""

from __future__ import annotations

import uuid

from slidestream.storage.repository import Repository


async def end_open_stages(
    repository: Repository, presentation_id: uuid.UUID, status: str, detail: str
) -> None:
    """Mark the outline and the deck `status` (failed or cancelled) where they are still
    generating, or (the deck) not yet started."""
    await repository.update_presentation(
        presentation_id,
        {"outline_status": status, "outline_error": detail},
        only_if={"outline_status": ["generating"]},
    )
    await repository.update_presentation(
        presentation_id,
        {"deck_status": status, "deck_error": detail},
        only_if={"deck_status": ["generating", "none"]},
    )
